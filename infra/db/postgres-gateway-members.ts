// PostgreSQL adapter of the gateway membership (ports/gateway-members.ts): one row per member with its address
// and the time of its last beat, by the database's clock so that members with skewed clocks agree.
import type pg from 'pg';
import type { GatewayMember, GatewayMembers } from '../../ports/gateway-members.ts';
import type { Migration } from './database.ts';

/** Its own group: membership evolves apart from the idempotency and session tables. */
export const GATEWAY_MEMBERS_MIGRATION_GROUP = 'gateway_members';

export const gatewayMemberMigrations: Migration[] = [
  {
    name: '001_gateway_members',
    async up(knex) {
      await knex.schema.createTable('gateway_members', (table) => {
        table.text('member_id').primary();
        table.text('url').notNullable();
        table.timestamp('joined_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
        table.timestamp('beat_at', { useTz: true }).notNullable().defaultTo(knex.fn.now()).index();
      });
    },
  },
];

/** Rows of members that crashed (they never left) are removed once they are this old. */
const FORGET_AFTER_MS = 10 * 60_000;

export class PostgresGatewayMembers implements GatewayMembers {
  constructor(private readonly pool: pg.Pool) {}

  async beat(member: GatewayMember, liveForMs: number): Promise<GatewayMember[]> {
    // Rows of members that crashed (they never left) go with the next beat of anyone.
    await this.pool.query(
      `with forgotten as (delete from gateway_members where beat_at < now() - make_interval(secs => $3::float8 / 1000))
       insert into gateway_members (member_id, url) values ($1, $2)
       on conflict (member_id) do update set url = excluded.url, beat_at = now()`,
      [member.memberId, member.url, FORGET_AFTER_MS],
    );
    // A statement of its own: a select in the statement above would not see the row it writes.
    const { rows } = await this.pool.query<{ member_id: string; url: string }>(
      `select member_id, url from gateway_members where beat_at > now() - make_interval(secs => $1::float8 / 1000) order by member_id`,
      [liveForMs],
    );
    return rows.map((row) => ({ memberId: row.member_id, url: row.url }));
  }

  async leave(memberId: string): Promise<void> {
    await this.pool.query(`delete from gateway_members where member_id = $1`, [memberId]);
  }
}
