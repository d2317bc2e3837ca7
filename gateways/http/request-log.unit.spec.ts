import { Writable } from 'node:stream';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { SampledRequestLog } from './request-log.ts';

async function appLogging(sample: number) {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({ write: (chunk, _encoding, done) => (lines.push(JSON.parse(String(chunk)) as Record<string, unknown>), done()) });
  const app = Fastify({ loggerInstance: pino(sink) as FastifyBaseLogger, logController: new SampledRequestLog(sample, 20) });
  app.get('/ok', async () => ({ ok: true }));
  app.get('/refused', async (_request, reply) => reply.code(403).send({ error: 'forbidden' }));
  app.get('/slow', async () => new Promise((resolve) => setTimeout(() => resolve({ ok: true }), 40)));
  return { app, lines };
}

describe('the request log', () => {
  it('logs every refusal and every slow answer, and no success when the sample is 0', async () => {
    const { app, lines } = await appLogging(0);
    for (const url of ['/ok', '/ok', '/refused', '/missing', '/slow']) await app.inject({ url });
    expect(lines.filter((line) => line.msg === 'request completed').map(({ url, statusCode, sampled }) => [url, statusCode, sampled])).toEqual([
      ['/refused', 403, false],
      ['/missing', 404, false],
      ['/slow', 200, false],
    ]);
  });

  it('logs every success when the sample is 1, marked as sampled, with what the request was', async () => {
    const { app, lines } = await appLogging(1);
    await app.inject({ url: '/ok', remoteAddress: '10.0.0.7' });
    expect(lines).toEqual([expect.objectContaining({ msg: 'request completed', method: 'GET', url: '/ok', remoteAddress: '10.0.0.7', statusCode: 200, sampled: true, responseTime: expect.any(Number) })]);
  });
});
