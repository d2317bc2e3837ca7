// The statements that install an analytics view: the view with its declared column names, then a COMMENT on
// it and on each column, with quotes doubled; names that are not plain identifiers refused.
import { describe, expect, it } from 'vitest';
import { analyticsViewStatements, sqlLiteral } from './analytics-views.ts';

describe('analytics views', () => {
  it('creates or replaces the view with its declared columns (or tries it as a temporary view), and comments on it and on every column', () => {
    const statements = analyticsViewStatements({
      name: 'escrows',
      comment: "One platform's escrow.",
      columns: { platform_id: 'The platform.', balance_micro_usdc: 'In micro-USDC.' },
      select: 'select platform_id, deposited - billed from escrows',
    });
    expect(statements).toEqual({
      create: 'create or replace view analytics.escrows (platform_id, balance_micro_usdc) as select platform_id, deposited - billed from escrows',
      candidate: 'create temporary view proofline_analytics_candidate (platform_id, balance_micro_usdc) as select platform_id, deposited - billed from escrows',
      comments: [
        "comment on view analytics.escrows is 'One platform''s escrow.'",
        "comment on column analytics.escrows.platform_id is 'The platform.'",
        "comment on column analytics.escrows.balance_micro_usdc is 'In micro-USDC.'",
      ],
    });
  });

  it('refuses a view or column name that is not a plain lower-case identifier, and a view without columns', () => {
    const view = { name: 'v', comment: 'c', columns: { a: 'a' }, select: 'select 1' };
    for (const name of ['V', '1v', 'v;drop', 'v"x', 'x'.repeat(64)]) {
      expect(() => analyticsViewStatements({ ...view, name })).toThrow(/is not a plain lower-case identifier/);
      expect(() => analyticsViewStatements({ ...view, columns: { [name]: 'c' } })).toThrow(/is not a plain lower-case identifier/);
    }
    expect(() => analyticsViewStatements({ ...view, columns: {} })).toThrow('analytics view v declares no column');
  });

  it('quotes a literal by doubling its single quotes; refuses NUL', () => {
    expect(sqlLiteral("it's \\ fine")).toBe("'it''s \\ fine'");
    expect(() => sqlLiteral('a\0b')).toThrow(/NUL/);
  });
});
