// The access read model: the grants in force, one row per (subject, role, scope). Each subject's grants are
// one stream, so its events arrive in order and a revocation always finds its grant.
import { accessEventTypes, type AccessEvent } from '../../events-schema/access/events.ts';
import type { Migration } from '../../ports/sql.ts';
import { unhandledEvent, type Projection } from '../projection.ts';

export const ACCESS_PROJECTION = 'access';

const accessMigrations: Migration[] = [
  {
    name: '001_grants',
    async up(knex) {
      await knex.schema.createTable('grants', (table) => {
        table.text('subject').notNullable();
        table.text('role').notNullable();
        // '' for a global grant: a primary key column cannot be null.
        table.text('scope').notNullable();
        table.timestamp('granted_at', { useTz: true }).notNullable();
        table.bigInteger('granted_lsn').notNullable();
        table.primary(['subject', 'role', 'scope']);
      });
    },
  },
];

export const accessProjection: Projection<AccessEvent> = {
  name: ACCESS_PROJECTION,
  canHandle: accessEventTypes,
  migrations: accessMigrations,
  async applyBatch(events, trx) {
    for (const { event, lsn } of events) {
      const { subject, role } = event.data;
      const scope = event.data.scope ?? '';
      switch (event.type) {
        case 'RoleGranted':
          await trx('grants')
            .insert({ subject, role, scope, granted_at: new Date(event.data.grantedAt), granted_lsn: lsn })
            .onConflict(['subject', 'role', 'scope'])
            .merge();
          break;
        case 'RoleRevoked':
          await trx('grants').where({ subject, role, scope }).delete();
          break;
        default:
          unhandledEvent(event);
      }
    }
  },
};
