// Every 4xx/5xx of the gateway is the contract's body `{error, message, issues?}` with a registered code,
// fastify's and Node's own refusals included. Over a real listening server: app.inject cannot send a
// malformed request line, a bad header or pipelined requests.
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresIdempotencyStore } from '../../infra/db/postgres-idempotency-store.ts';
import { createHttpFixture, type Credential, type HttpFixture } from '../testing/http-fixture.ts';
import { buildHttpApp, MAX_PARAM_LENGTH } from './app.ts';
import { errorRegistry } from './error-registry.ts';

let fixture: HttpFixture;
let port: number;
let auditor: Credential;

beforeAll(async () => {
  fixture = await createHttpFixture();
  await fixture.app.listen({ port: 0, host: '127.0.0.1' });
  port = (fixture.app.server.address() as AddressInfo).port;
  auditor = await fixture.keyFor({ role: 'auditor' });
});
afterAll(async () => fixture.close());

type RawResponse = { status: number; headers: string; body: string };

/** Writes the bytes on a fresh connection and reads every response until the server closes it. */
function exchange(chunks: (string | Buffer)[], to = port): Promise<RawResponse[]> {
  return new Promise((resolve, reject) => {
    const socket = connect(to, '127.0.0.1');
    let received = Buffer.alloc(0);
    const finish = () => resolve(parseResponses(received.toString('latin1')));
    socket.on('data', (data) => (received = Buffer.concat([received, data])));
    socket.on('close', finish);
    socket.on('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' ? finish() : reject(error)));
    socket.on('connect', () => {
      for (const chunk of chunks) socket.write(chunk);
    });
  });
}

/** Splits complete responses (framed by Content-Length; 1xx answers carry none). */
function parseResponses(raw: string): RawResponse[] {
  const responses: RawResponse[] = [];
  let rest = raw;
  while (rest.length > 0) {
    const end = rest.indexOf('\r\n\r\n');
    if (end === -1) break;
    const headers = rest.slice(0, end);
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(headers)?.[1]);
    const length = Number(/\r\ncontent-length: *(\d+)/i.exec(headers)?.[1] ?? 0);
    if (rest.length < end + 4 + length) break;
    if (status >= 200) responses.push({ status, headers, body: rest.slice(end + 4, end + 4 + length) });
    rest = rest.slice(end + 4 + length);
  }
  return responses;
}

/** The answer is the contract's body with a registered code of the answer's status. */
function expectContractError(response: RawResponse | undefined, status: number, code: string) {
  expect(response?.status).toBe(status);
  expect(response?.headers).toMatch(/\r\ncontent-type: application\/json/i);
  const body = JSON.parse(response!.body) as Record<string, unknown>;
  expect(Object.keys(body).filter((key) => !['error', 'message', 'issues'].includes(key))).toEqual([]);
  expect(body.error).toBe(code);
  expect(typeof body.message).toBe('string');
  expect(errorRegistry[code as keyof typeof errorRegistry]?.status).toBe(status);
  return body;
}

const get = (path: string, headers = '') => `GET ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n${headers}\r\n`;

describe("fastify's own refusals", () => {
  it('answers a URL with bad percent-encoding 400 malformed_request', async () => {
    const [response] = await exchange([get('/v1/streams/a%zzb/events', `authorization: ${auditor.authorization}\r\n`)]);
    const body = expectContractError(response, 400, 'malformed_request');
    expect(body.issues).toEqual([{ path: 'url', message: 'invalid percent-encoding' }]);
  });

  it('routes a stream id of 512 characters, the schema limit; the schema refuses 513 naming the field, the router anything past its own limit', async () => {
    const [longest] = await exchange([get(`/v1/streams/${'s'.repeat(512)}/events`, `authorization: ${auditor.authorization}\r\n`)]);
    expect(longest?.status).toBe(200);
    expect(JSON.parse(longest!.body)).toEqual({ events: [] });
    // Percent-encoded, the same 512 characters are longer on the wire; the router measures them decoded, as the schema does.
    const [encoded] = await exchange([get(`/v1/streams/${'%C3%A9'.repeat(512)}/events`, `authorization: ${auditor.authorization}\r\n`)]);
    expect(encoded?.status).toBe(200);
    const [tooLong] = await exchange([get(`/v1/streams/${'s'.repeat(513)}/events`, `authorization: ${auditor.authorization}\r\n`)]);
    const body = expectContractError(tooLong, 400, 'invalid_request');
    expect(body.issues).toEqual([expect.objectContaining({ path: 'streamId' })]);
    const [huge] = await exchange([get(`/v1/streams/${'s'.repeat(MAX_PARAM_LENGTH + 1)}/events`, `authorization: ${auditor.authorization}\r\n`)]);
    expect(expectContractError(huge, 400, 'invalid_request').issues).toEqual([{ path: 'params', message: `longer than ${MAX_PARAM_LENGTH} characters` }]);
  });

  it('answers a 512-character parameter of an admin route with its own 404, not the router', async () => {
    const [response] = await exchange([
      `POST /v1/admin/parked/governance/${'p'.repeat(512)}/retry HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n` +
        `authorization: ${fixture.admin.authorization}\r\ncontent-length: 0\r\n\r\n`,
    ]);
    // Without a read side the admin routes are absent: the unknown route's 404, in the contract's body.
    expectContractError(response, 404, 'not_found');
  });

  it('answers an unknown route and a method no route has 404 not_found', async () => {
    expectContractError((await exchange([get('/v1/nowhere')]))[0], 404, 'not_found');
    expectContractError((await exchange(['PROPFIND /v1/log HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n']))[0], 404, 'not_found');
  });
});

describe("the HTTP parser's refusals", () => {
  const cases: [string, string, number, string][] = [
    ['a request line that is not HTTP', 'GARBAGE\r\n\r\n', 400, 'malformed_request'],
    ['a method HTTP does not know', 'FOO /v1/log HTTP/1.1\r\nHost: localhost\r\n\r\n', 400, 'malformed_request'],
    ['a control character in a header', 'GET /v1/log HTTP/1.1\r\nHost: localhost\r\nX-Test: a\x01b\r\n\r\n', 400, 'malformed_request'],
    ['a header line without a colon', 'GET /v1/log HTTP/1.1\r\nHost: localhost\r\nbroken header\r\n\r\n', 400, 'malformed_request'],
    ['a Content-Length that is not a number', 'POST /v1/decisions HTTP/1.1\r\nHost: localhost\r\nContent-Length: abc\r\n\r\n{}', 400, 'malformed_request'],
    ['two different Content-Lengths', 'POST /v1/decisions HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}', 400, 'malformed_request'],
    [
      'a Content-Length beside chunked Transfer-Encoding',
      'POST /v1/decisions HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      400,
      'malformed_request',
    ],
    ['headers beyond the size limit', `GET /v1/log HTTP/1.1\r\nHost: localhost\r\nX-Big: ${'x'.repeat(20_000)}\r\n\r\n`, 431, 'headers_too_large'],
  ];
  it.each(cases)('answers %s in the contract body', async (_name, request, status, code) => {
    const head = await fixture.headLsn();
    const [response] = await exchange([request]);
    expectContractError(response, status, code);
    expect(await fixture.headLsn()).toBe(head);
  });
});

describe('while the gateway closes', () => {
  it('answers a request that arrives before the listener stops 503 not_ready, and closes the connection', async () => {
    const app = await buildHttpApp({ eventStore: fixture.eventStore, idempotency: new PostgresIdempotencyStore(fixture.db.pool) });
    // Another plugin's preClose still at work (draining): the listener still accepts requests meanwhile.
    let draining!: () => void;
    const drained = new Promise<void>((resolve) => (draining = resolve));
    let entered!: () => void;
    const closingStarted = new Promise<void>((resolve) => (entered = resolve));
    app.addHook('preClose', async () => {
      entered();
      await drained;
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const closingPort = (app.server.address() as AddressInfo).port;
    const closing = app.close();
    await closingStarted;
    const [response] = await exchange([get('/v1/log')], closingPort);
    draining();
    await closing;
    expectContractError(response, 503, 'not_ready');
    expect(response?.headers).toMatch(/\r\nconnection: close/i);
  });
});
