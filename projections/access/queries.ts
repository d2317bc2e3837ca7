// What admins ask of the access read model.
import type { AccessQueries, GrantEntry } from '../../ports/read-models/access.ts';
import type { Sql } from '../../ports/sql.ts';
import { keysetCursor } from '../cursor.ts';
import { projectionSchema } from '../runtime/projection-schema.ts';
import { ACCESS_PROJECTION } from './access-projection.ts';

const schema = projectionSchema(ACCESS_PROJECTION);

export async function listGrants(knex: Sql, options: Parameters<AccessQueries['listGrants']>[0]): Promise<{ grants: GrantEntry[]; nextCursor: string | null }> {
  // Every grant row has its own granting event, so its LSN orders and pages them.
  const cursor = keysetCursor('grants');
  let query = knex.withSchema(schema).table('grants').orderBy('granted_lsn').limit(options.limit + 1);
  if (options.subject !== undefined) query = query.where({ subject: options.subject });
  if (options.cursor !== undefined) query = query.where('granted_lsn', '>', cursor.decode(options.cursor));
  const rows = (await query) as { subject: string; role: string; scope: string; granted_at: Date; granted_lsn: number | string }[];
  const page = rows.slice(0, options.limit);
  const last = page.at(-1);
  return {
    grants: page.map((row) => ({ subject: row.subject, role: row.role, scope: row.scope === '' ? null : row.scope, grantedAt: row.granted_at.toISOString(), lsn: Number(row.granted_lsn) })),
    nextCursor: rows.length > options.limit && last ? cursor.encode(Number(last.granted_lsn)) : null,
  };
}
