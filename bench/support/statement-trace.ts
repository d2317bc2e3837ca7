// Where a store's time goes in PostgreSQL: every query issued on a pool's clients, timed from call to result and
// grouped by statement (the prepared-statement name when it has one, else the first words of its SQL).
// Attach before the pool opens its first client. Costs one performance.now() pair per query.
import type pg from 'pg';

export type StatementStats = { count: number; totalMs: number; maxMs: number };
export type StatementSnapshot = Record<string, StatementStats>;

export class StatementTrace {
  private readonly stats = new Map<string, StatementStats>();

  attach(pool: pg.Pool): this {
    pool.on('connect', (client) => this.wrap(client));
    return this;
  }

  snapshot(): StatementSnapshot {
    return Object.fromEntries([...this.stats].map(([name, stats]) => [name, { ...stats }]));
  }

  /** Per statement: what happened between two snapshots. */
  static difference(after: StatementSnapshot, before: StatementSnapshot): StatementSnapshot {
    const result: StatementSnapshot = {};
    for (const [name, stats] of Object.entries(after)) {
      const earlier = before[name] ?? { count: 0, totalMs: 0, maxMs: 0 };
      if (stats.count === earlier.count) continue;
      // maxMs cannot be split by window; the later snapshot's max is an upper bound.
      result[name] = { count: stats.count - earlier.count, totalMs: stats.totalMs - earlier.totalMs, maxMs: stats.maxMs };
    }
    return result;
  }

  private wrap(client: pg.PoolClient): void {
    const target = client as unknown as { query: (...args: unknown[]) => unknown };
    const original = target.query.bind(client);
    target.query = (...args: unknown[]) => {
      const first = args[0];
      // Submittables (cursors, streams) are passed through untimed.
      if (typeof first === 'object' && first !== null && 'submit' in first) return original(...args);
      const began = performance.now();
      const settled = () => this.record(statementName(first), performance.now() - began);
      const callback = args[args.length - 1];
      if (typeof callback === 'function') {
        // Callback form: what pool.query() uses under the hood.
        args[args.length - 1] = (...results: unknown[]) => {
          settled();
          return (callback as (...results: unknown[]) => unknown)(...results);
        };
        return original(...args);
      }
      const result = original(...args) as Promise<unknown>;
      result.then(settled, settled);
      return result;
    };
  }

  private record(name: string, ms: number): void {
    const stats = this.stats.get(name) ?? { count: 0, totalMs: 0, maxMs: 0 };
    stats.count += 1;
    stats.totalMs += ms;
    stats.maxMs = Math.max(stats.maxMs, ms);
    this.stats.set(name, stats);
  }
}

function statementName(query: unknown): string {
  if (typeof query === 'object' && query !== null) {
    const { name, text } = query as { name?: unknown; text?: unknown };
    if (typeof name === 'string' && name) return name;
    if (typeof text === 'string') return firstWords(text);
  }
  return typeof query === 'string' ? firstWords(query) : 'unknown';
}

/** The statement's opening words, cut before its first literal or parameter so that values never split a group. */
function firstWords(sql: string): string {
  const head = sql.split(/['$]/, 1)[0] ?? '';
  return head.replace(/\s+/g, ' ').trim().slice(0, 56) || 'unknown';
}
