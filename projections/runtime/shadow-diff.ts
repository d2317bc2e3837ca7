// Comparing a read model with a shadow rebuild of it, table by table, inside PostgreSQL: a row count and a
// content hash per table — md5 over the md5 of each row's text, in primary-key order — so that nothing but
// two short strings per table leaves the server. The runtime's own tables (checkpoints, parked events,
// rebuilds) and the migration history describe how a schema was built, not what it holds: they are left out.
import type { Sql, SqlTransaction } from '../../ports/sql.ts';

const RUNTIME_TABLES = ['checkpoints', 'parked_events', 'rebuilds'];

export type TableDigest = { rows: number; hash: string };

export type TableComparison = { table: string; live: TableDigest | null; shadow: TableDigest | null; same: boolean };

/** The read-model tables of `schema` and their digests, by table name. */
export async function tableDigests(queryable: Sql | SqlTransaction, schema: string): Promise<Map<string, TableDigest>> {
  const { rows: tables } = await queryable.raw<{ rows: Array<{ table_name: string; key_columns: string[] | null }> }>(
    `select c.relname as table_name,
            (select array_agg(a.attname::text order by k.ord)
               from pg_index i
               cross join lateral unnest(i.indkey) with ordinality as k(attnum, ord)
               join pg_attribute a on a.attrelid = c.oid and a.attnum = k.attnum
              where i.indrelid = c.oid and i.indisprimary) as key_columns
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = ? and c.relkind = 'r' and c.relname not like 'proofline_migrations%' and c.relname not in (${RUNTIME_TABLES.map(() => '?').join(', ')})
      order by c.relname`,
    [schema, ...RUNTIME_TABLES],
  );
  const digests = new Map<string, TableDigest>();
  for (const { table_name: table, key_columns: keys } of tables) {
    const order = keys && keys.length > 0 ? keys.map(() => '??').join(', ') : 't::text';
    const { rows } = await queryable.raw<{ rows: Array<{ rows: number; hash: string }> }>(
      `select count(*)::bigint as rows, md5(coalesce(string_agg(md5(t::text), '' order by ${order}), '')) as hash from ??.?? t`,
      [...(keys ?? []), schema, table],
    );
    digests.set(table, { rows: Number(rows[0]?.rows ?? 0), hash: rows[0]?.hash ?? '' });
  }
  return digests;
}

/** Every table of either schema, compared; a table only one of them has differs. */
export async function compareSchemas(queryable: Sql | SqlTransaction, schemas: { live: string; shadow: string }): Promise<TableComparison[]> {
  const [live, shadow] = [await tableDigests(queryable, schemas.live), await tableDigests(queryable, schemas.shadow)];
  const tables = [...new Set([...live.keys(), ...shadow.keys()])].sort();
  return tables.map((table) => {
    const a = live.get(table) ?? null;
    const b = shadow.get(table) ?? null;
    return { table, live: a, shadow: b, same: a !== null && b !== null && a.rows === b.rows && a.hash === b.hash };
  });
}
