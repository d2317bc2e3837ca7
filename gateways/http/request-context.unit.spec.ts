import { describe, expect, it } from 'vitest';
import { requestIdOf, validClientId, validTraceparent, validTracestate } from './request-context.ts';
import type { IncomingMessage } from 'node:http';

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const PARENT_ID = 'b7ad6b7169203331';

describe('validTraceparent', () => {
  it('keeps a W3C traceparent, sampled or not', () => {
    expect(validTraceparent(`00-${TRACE_ID}-${PARENT_ID}-01`)).toBe(`00-${TRACE_ID}-${PARENT_ID}-01`);
    expect(validTraceparent(`00-${TRACE_ID}-${PARENT_ID}-00`)).toBe(`00-${TRACE_ID}-${PARENT_ID}-00`);
  });

  it.each([
    ['version ff', `ff-${TRACE_ID}-${PARENT_ID}-01`],
    ['an all-zero trace id', `00-${'0'.repeat(32)}-${PARENT_ID}-01`],
    ['an all-zero parent id', `00-${TRACE_ID}-${'0'.repeat(16)}-01`],
    ['upper-case hex', `00-${TRACE_ID.toUpperCase()}-${PARENT_ID}-01`],
    ['a short trace id', `00-${TRACE_ID.slice(1)}-${PARENT_ID}-01`],
    ['trailing data', `00-${TRACE_ID}-${PARENT_ID}-01-extra`],
    ['a control character', `00-${TRACE_ID}-${PARENT_ID}-01\n`],
    ['nothing', undefined],
  ])('refuses %s', (_name, value) => {
    expect(validTraceparent(value)).toBeUndefined();
  });
});

describe('validTracestate', () => {
  it('keeps well-formed members, simple and multi-tenant keys, with optional spaces and empty members', () => {
    expect(validTracestate('congo=t61rcWkgMzE')).toBe('congo=t61rcWkgMzE');
    expect(validTracestate('rojo=00f067aa0ba902b7, tenant@vendor=x ,,congo=t61rcWkgMzE')).toBe('rojo=00f067aa0ba902b7, tenant@vendor=x ,,congo=t61rcWkgMzE');
  });

  it('keeps 32 members and 512 characters, the W3C bounds', () => {
    const members = Array.from({ length: 32 }, (_, index) => `k${index}=v`).join(',');
    expect(validTracestate(members)).toBe(members);
    const longest = `a=${'v'.repeat(254)},b=${'v'.repeat(253)}`;
    expect(longest).toHaveLength(512);
    expect(validTracestate(longest)).toBe(longest);
    expect(validTracestate(`${longest}w`)).toBeUndefined();
  });

  it.each([
    ['33 members', Array.from({ length: 33 }, (_, index) => `k${index}=v`).join(',')],
    ['more than 512 characters', Array.from({ length: 3 }, (_, index) => `k${index}=${'v'.repeat(200)}`).join(',')],
    ['a member without =', 'congo'],
    ['an upper-case key', 'Congo=x'],
    ['a value with =', 'congo=a=b'],
    ['a value longer than 256 characters', `congo=${'v'.repeat(257)}`],
    ['a control character', 'congo=a\u0000b'],
    ['a non-ASCII character', 'congo=é'],
    ['only empty members', ' , '],
    ['nothing', undefined],
  ])('drops it with %s', (_name, value) => {
    expect(validTracestate(value)).toBeUndefined();
  });
});

describe('validClientId and requestIdOf', () => {
  it('keeps 1 to 128 visible ASCII characters', () => {
    expect(validClientId('a')).toBe('a');
    expect(validClientId('x'.repeat(128))).toBe('x'.repeat(128));
  });

  it.each([
    ['129 characters', 'x'.repeat(129)],
    ['a space', 'a b'],
    ['a control character', 'a\u0001b'],
    ['a non-ASCII character', 'é'],
    ['nothing', ''],
  ])('refuses %s', (_name, value) => {
    expect(validClientId(value)).toBeUndefined();
  });

  it("uses the client's x-request-id only when it is a valid id; otherwise draws a fresh one", () => {
    const request = (value?: string) => ({ headers: value === undefined ? {} : { 'x-request-id': value } }) as IncomingMessage;
    expect(requestIdOf(request('req-1'))).toBe('req-1');
    const oversized = 'x'.repeat(8192);
    expect(requestIdOf(request(oversized))).toMatch(/^[0-9a-f-]{36}$/);
    expect(requestIdOf(request())).toMatch(/^[0-9a-f-]{36}$/);
    expect(requestIdOf(request())).not.toBe(requestIdOf(request()));
  });
});
