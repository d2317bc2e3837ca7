// A projection worker whose PostgreSQL goes away (down, restarting, the network gone) waits it out: its
// run stops, it starts again after a pause, and once the database answers it resumes from its checkpoints:
// every event counted exactly once, and the worker never fails for good. The network is taken away by a
// TCP proxy in front of the real server.
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalSource } from '../../infra/bus/local/local-source.ts';
import { openDatabase, type Database } from '../../infra/db/database.ts';
import { startTcpProxy, type TcpProxy } from '../../infra/testing/tcp-proxy.ts';
import { waitFor } from '../../infra/testing/process.ts';
import { decisionCreated, voteCast } from '../testing/governance-events.ts';
import { createProjectionTestbed, type ProjectionTestbed } from '../testing/projection-testbed.ts';
import { expectedCounts, readCounts, streamCounter } from './stream-counter.fixture.ts';
import { watermark } from './watermark.ts';
import { createProjectionWorker } from './worker.ts';

let testbed: ProjectionTestbed;
let proxy: TcpProxy;
let proxied: Database;

beforeAll(async () => {
  testbed = await createProjectionTestbed();
  const server = new URL(testbed.db.url);
  proxy = await startTcpProxy({ host: server.hostname, port: Number(server.port || 5432) });
  proxied = openDatabase(proxy.urlFor(testbed.db.url));
});

afterAll(async () => {
  await proxy?.restore();
  await proxied?.close();
  await proxy?.close();
  await testbed?.close();
});

describe('a projection worker while PostgreSQL is out of reach', () => {
  it('starts again after a pause and resumes from its checkpoints, counting every event once', { timeout: 60_000 }, async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, new Writable({ write: (chunk, _encoding, done) => (lines.push(String(chunk)), done()) }));
    const projection = streamCounter('outage_counter');
    const controller = new AbortController();
    const running = createProjectionWorker({ db: proxied, projection, source: createLocalSource(testbed.eventStore, { maxBatchEvents: 5 }), eventStore: testbed.eventStore, logger, batchAttempts: 2 }).run(controller.signal);
    let failed: unknown;
    running.catch((error: unknown) => (failed = error));

    await testbed.append([{ streamId: 'outage-d1', event: decisionCreated('outage-d1') }]);
    await waitFor(async () => (await watermark(testbed.db, projection.name)) >= 1, 20_000, () => 'the worker did not start');

    await proxy.cut();
    const votes = Array.from({ length: 20 }, (_, i) => ({ streamId: 'outage-d1', event: voteCast('outage-d1', `voter-${i}`) }));
    const appended = await testbed.append(votes);
    await waitFor(async () => lines.some((line) => line.includes('the worker starts again after a pause')), 20_000, () => `the worker did not notice the outage:\n${lines.join('')}`);
    expect(failed).toBeUndefined();
    await proxy.restore();

    const head = appended.at(-1)!.lsn;
    await waitFor(async () => (await watermark(testbed.db, projection.name)) >= head, 30_000, () => `the worker did not resume:\n${lines.join('')}`);
    expect(await readCounts(testbed.db, projection.name)).toEqual(await expectedCounts(testbed.eventStore));
    expect(failed).toBeUndefined();
    controller.abort();
    await running;
  });
});
