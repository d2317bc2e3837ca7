import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { errorRegistry } from './error-registry.ts';

describe('error registry', () => {
  it('is documented in README.md exactly: every code, status and meaning, nothing more', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const section = readme.split('<!-- errors:start -->')[1]?.split('<!-- errors:end -->')[0] ?? '';
    const documented = [...section.matchAll(/^\| `([a-z_]+)` \| (\d{3}) \| (.+) \|$/gm)].map(([, code, status, description]) => ({
      code,
      status: Number(status),
      description,
    }));
    const registered = Object.entries(errorRegistry).map(([code, { status, description }]) => ({ code, status, description }));
    expect(documented).toEqual(registered);
  });
});

describe('renderError', () => {
  it('answers an unexpected failure with the generic 500 body: no message, stack or SQL of the cause', async () => {
    const { renderError } = await import('./app.ts');
    const cause = Object.assign(new Error('duplicate key value violates unique constraint "events_pkey" in select * from events'), { code: '23505' });
    const { status, body } = renderError(cause);
    expect(status).toBe(500);
    expect(body).toEqual({ error: 'internal_error', message: 'internal error' });
  });
});

describe("renderError of fastify's own refusals", () => {
  it('answers a refusal of fastify with a 4xx status as the client error it is, never a 500', async () => {
    const { renderError } = await import('./app.ts');
    const refusal = Object.assign(new Error('Request body size did not match Content-Length'), { code: 'FST_ERR_CTP_INVALID_CONTENT_LENGTH', statusCode: 400 });
    expect(renderError(refusal)).toEqual({ status: 400, body: { error: 'malformed_request', message: 'the body does not match its Content-Length' } });
    const other = Object.assign(new Error('some new refusal'), { code: 'FST_ERR_SOMETHING_NEW', statusCode: 406 });
    expect(renderError(other)).toEqual({ status: 400, body: { error: 'malformed_request', message: 'some new refusal' } });
  });
});
