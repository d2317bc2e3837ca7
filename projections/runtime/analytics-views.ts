// The read models as analysts query them: views in schema `analytics`, declared by each projection next to
// its migrations (`analyticsViews`), with a COMMENT on every view and column.
//
// A view is bound to the tables it reads, not to their names. So the views are (re)installed with
// CREATE OR REPLACE, which keeps each view's OID, privileges and comments — and every view an analyst built on
// it — whenever the tables they read change:
//   - when a worker sets up the live schema (its migrations ran: a view may use a new column);
//   - in a rebuild's swap transaction, right after the rebuilt schema took the live name (rebuild.ts), so that
//     dropping the old schema with CASCADE finds nothing in `analytics` that still depends on it.
// The stability rule follows from CREATE OR REPLACE VIEW: a view's columns may only be appended to. Never
// rename, retype, reorder or drop one; add a new column (or a new view) instead.
import type { SqlTransaction } from '../../ports/sql.ts';
import type { AnalyticsView, Projection } from '../projection.ts';

export const ANALYTICS_SCHEMA = 'analytics';

const IDENTIFIER = /^[a-z][a-z0-9_]{0,62}$/;

/** A string literal for a utility statement (COMMENT takes no parameters); standard_conforming_strings is on. */
export function sqlLiteral(text: string): string {
  if (text.includes('\0')) throw new TypeError('a SQL literal cannot hold a NUL character');
  return `'${text.replaceAll("'", "''")}'`;
}

/** Name of the temporary view a definition is tried out as, to compare it with the installed one. */
const CANDIDATE = 'proofline_analytics_candidate';

export type AnalyticsViewStatements = {
  /** CREATE OR REPLACE of the view itself. */
  create: string;
  /** The same definition as a temporary view (pg_temp): compared with the installed one. */
  candidate: string;
  /** COMMENT on the view, then on each column. */
  comments: string[];
};

/** The statements that install one view and its comments. Refuses names that are not plain identifiers. */
export function analyticsViewStatements(view: AnalyticsView): AnalyticsViewStatements {
  const columns = Object.keys(view.columns);
  for (const name of [view.name, ...columns]) {
    if (!IDENTIFIER.test(name)) throw new TypeError(`analytics view ${view.name}: ${JSON.stringify(name)} is not a plain lower-case identifier`);
  }
  if (columns.length === 0) throw new TypeError(`analytics view ${view.name} declares no column`);
  const qualified = `${ANALYTICS_SCHEMA}.${view.name}`;
  // The column list names the SELECT's first columns; a SELECT with more columns than declared keeps the
  // extra ones, uncommented — which the analytics views spec refuses.
  const definition = `(${columns.join(', ')}) as ${view.select}`;
  return {
    create: `create or replace view ${qualified} ${definition}`,
    candidate: `create temporary view ${CANDIDATE} ${definition}`,
    comments: [
      `comment on view ${qualified} is ${sqlLiteral(view.comment)}`,
      ...columns.map((column) => `comment on column ${qualified}.${column} is ${sqlLiteral(view.columns[column]!)}`),
    ],
  };
}

/**
 * Installs the projection's views over the tables of `schema` (its live schema, `projection_<name>`), creating
 * schema `analytics` on first use. Leaves `search_path` at `schema` for the rest of the transaction.
 *
 * A view is replaced only when its definition changed (a new release, or tables renamed away by a rebuild's
 * swap): replacing one waits for every query reading it, and a worker restarting must not wait for an
 * analyst's long query. Comments are set every time (COMMENT does not wait for readers).
 */
export async function installAnalyticsViews(trx: SqlTransaction, projection: Projection, schema: string): Promise<void> {
  const views = projection.analyticsViews ?? [];
  if (views.length === 0) return;
  await ensureAnalyticsSchema(trx);
  await trx.raw('set local search_path to ??', [schema]);
  for (const view of views) {
    const statements = analyticsViewStatements(view);
    if (!(await installedAsDeclared(trx, view.name, statements.candidate))) await trx.raw(statements.create);
    for (const comment of statements.comments) await trx.raw(comment);
  }
}

/**
 * Whether `analytics.<name>` exists with the definition `candidate` gives, over the same tables: both are
 * decompiled under the same search_path, so a view still bound to tables renamed away reads differently.
 */
async function installedAsDeclared(trx: SqlTransaction, name: string, candidate: string): Promise<boolean> {
  const installed = `${ANALYTICS_SCHEMA}.${name}`;
  const { rows: found } = await trx.raw<{ rows: Array<{ exists: boolean }> }>('select to_regclass(?) is not null as exists', [installed]);
  if (!found[0]?.exists) return false;
  await trx.raw(candidate);
  const { rows } = await trx.raw<{ rows: Array<{ same: boolean }> }>(
    `select pg_get_viewdef('pg_temp.${CANDIDATE}'::regclass) = pg_get_viewdef(?::regclass) as same`,
    [installed],
  );
  await trx.raw(`drop view pg_temp.${CANDIDATE}`);
  return rows[0]?.same ?? false;
}

/** Creates schema `analytics` unless it exists; holds the analytics lock until the transaction ends. */
export async function ensureAnalyticsSchema(trx: SqlTransaction): Promise<void> {
  // Workers of different projections start together: one at a time creates the schema (CREATE SCHEMA IF NOT
  // EXISTS alone can still collide). Always taken last, after the projection's own locks, so it never deadlocks.
  await trx.raw('select pg_advisory_xact_lock(hashtextextended(?, 0))', ['proofline.analytics']);
  await trx.raw(`create schema if not exists ${ANALYTICS_SCHEMA}`);
}
