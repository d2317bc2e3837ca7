import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeEvent } from '../../events-schema/index.ts';
import { migrateRelay } from '../../infra/bus/kafka/index.ts';
import { storeRelayCheckpoint } from '../../infra/bus/kafka/relay-checkpoint.ts';
import { migrate } from '../../infra/db/database.ts';
import { createHttpFixture, type Credential, type HttpFixture } from '../testing/http-fixture.ts';
import { insertBatch } from '../../projections/anchoring/batch-store.ts';
import { ANCHOR_BATCH_MIGRATION_GROUP, anchorBatchMigrations } from '../../projections/anchoring/migrations.ts';
import { projections } from '../contexts/index.ts';
import { waitForWatermark } from '../../projections/runtime/index.ts';

const HISTOGRAM = 'proofline_http_request_duration_seconds';

let fixture: HttpFixture;
/** Opens and closes the decisions; votes come from a ballot box naming its voters. */
let convener: Credential;
let ballotBox: Credential;
beforeAll(async () => {
  fixture = await createHttpFixture({ readSide: true });
  convener = await fixture.keyFor({ role: 'convener' });
  ballotBox = await fixture.keyFor({ role: 'ballot-box' });
});
afterAll(async () => fixture.close());

const post = (url: string, payload?: object) =>
  fixture.app.inject({ method: 'POST', url, headers: url.endsWith('/votes') ? ballotBox : convener, ...(payload ? { payload } : {}) });

async function scrape(target: HttpFixture = fixture) {
  const response = await target.app.inject({ url: '/metrics' });
  expect(response.statusCode).toBe(200);
  return { response, samples: parsePrometheusText(response.body) };
}

describe('GET /metrics', () => {
  it('answers Prometheus text (exposition format 0.0.4)', async () => {
    const { response, samples } = await scrape();
    expect(response.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(samples.length).toBeGreaterThan(0);
    expect(valueOf(samples, 'proofline_eventstore_head_lsn')).toBe(await fixture.eventStore.headLsn());
  });

  it('times requests per route template, method and status: ids never become labels', async () => {
    const decisionId = `metrics-${randomUUID()}`;
    const votes = { method: 'POST', route: '/v1/decisions/:id/votes' };
    const before = (await scrape()).samples;
    expect((await post('/v1/decisions', { decisionId, title: 'Metrics', options: ['yes', 'no'] })).statusCode).toBe(201);
    let lsn = 0;
    for (const voterId of ['v1', 'v2', 'v3']) {
      const vote = await post(`/v1/decisions/${decisionId}/votes`, { voterId, option: 'yes' });
      expect(vote.statusCode).toBe(202);
      lsn = vote.json().lsn;
    }
    expect((await post(`/v1/decisions/${decisionId}/votes`, { voterId: 'v1', option: 'no' })).statusCode).toBe(409);
    expect((await fixture.app.inject({ url: `/v1/decisions/${decisionId}/results?consistentWith=${lsn}` })).statusCode).toBe(200);
    expect((await fixture.app.inject({ url: `/no/such/${decisionId}` })).statusCode).toBe(404);

    const { response, samples } = await scrape();
    const count = (labels: Record<string, string>, from = samples) => valueOf(from, `${HISTOGRAM}_count`, labels) ?? 0;
    expect(count({ ...votes, status_code: '202' }) - count({ ...votes, status_code: '202' }, before)).toBe(3);
    expect(count({ ...votes, status_code: '409' }) - count({ ...votes, status_code: '409' }, before)).toBe(1);
    expect(count({ method: 'POST', route: '/v1/decisions', status_code: '201' })).toBeGreaterThanOrEqual(1);
    expect(count({ method: 'GET', route: '/v1/decisions/:id/results', status_code: '200' })).toBeGreaterThanOrEqual(1);
    expect(count({ method: 'GET', route: '(unmatched)', status_code: '404' })).toBeGreaterThanOrEqual(1);
    // Every bucket series of the route is there, the last one holding every request.
    const buckets = find(samples, `${HISTOGRAM}_bucket`, { ...votes, status_code: '202' });
    expect(buckets.map((sample) => sample.labels.le)).toContain('+Inf');
    expect(valueOf(samples, `${HISTOGRAM}_sum`, { ...votes, status_code: '202' })).toBeGreaterThan(0);
    // The raw URL (with the decision id) is nowhere: not in a route label, not anywhere else.
    expect(response.body).not.toContain(decisionId);
    for (const sample of find(samples, `${HISTOGRAM}_count`, {})) expect(sample.labels.route).toMatch(/^\/|^\(unmatched\)$/);
  });

  it("reports the head LSN and each projection's watermark and lag, which reaches 0 once the read model caught up", async () => {
    const decisionId = `lag-${randomUUID()}`;
    await post('/v1/decisions', { decisionId, title: 'Lag', options: ['a', 'b'] });
    await fixture.grant('x', 'expert');
    await post(`/v1/decisions/${decisionId}/votes`, { voterId: 'x', option: 'a' });
    await post(`/v1/decisions/${decisionId}/close`);
    const head = await fixture.eventStore.headLsn();

    const { samples } = await scrape();
    expect(valueOf(samples, 'proofline_eventstore_head_lsn')).toBe(head);
    for (const { name } of projections) {
      const watermark = valueOf(samples, 'proofline_projection_watermark_lsn', { projection: name });
      const lag = valueOf(samples, 'proofline_projection_lag_events', { projection: name });
      expect(watermark, name).toBeGreaterThanOrEqual(0);
      expect(lag, name).toBe(head - watermark!);
    }

    for (const { name } of projections) await waitForWatermark(fixture.db, name, head, { timeoutMs: 20_000 });
    const caughtUp = (await scrape()).samples;
    expect(valueOf(caughtUp, 'proofline_eventstore_head_lsn')).toBe(head);
    for (const { name } of projections) {
      expect(valueOf(caughtUp, 'proofline_projection_watermark_lsn', { projection: name }), name).toBe(head);
      expect(valueOf(caughtUp, 'proofline_projection_lag_events', { projection: name }), name).toBe(0);
      expect(valueOf(caughtUp, 'proofline_projection_parked_events', { projection: name }), name).toBe(0);
    }
  });

  it('counts parked events per projection', async () => {
    // A close without its decision: the governance read model refuses it and parks its stream.
    const { lastLsn } = await fixture.eventStore.appendToStream(`decision-ghost-${randomUUID()}`, [
      {
        eventId: randomUUID(),
        type: 'DecisionClosed',
        data: encodeEvent({ type: 'DecisionClosed', data: { decisionId: 'ghost', closedAt: 1, reason: 'manual' } }),
        metadata: {},
      },
    ]);
    await waitForWatermark(fixture.db, 'governance', lastLsn, { timeoutMs: 20_000 });
    const { samples } = await scrape();
    expect(valueOf(samples, 'proofline_projection_parked_events', { projection: 'governance' })).toBe(1);
    expect(valueOf(samples, 'proofline_projection_parked_events', { projection: 'workplace' })).toBe(0);
  });
});

describe('GET /metrics where the relay and the anchorer have not been', () => {
  let bare: HttpFixture;
  beforeAll(async () => {
    bare = await createHttpFixture();
  });
  afterAll(async () => bare.close());
  const relayAndAnchor = (samples: Sample[]) =>
    samples.filter((sample) => sample.name.startsWith('proofline_relay_') || sample.name.startsWith('proofline_anchor_'));

  it('leaves their metrics out, and reports them once their tables exist; a source that fails never fails the scrape', async () => {
    const created = await bare.app.inject({ method: 'POST', url: '/v1/decisions', headers: bare.admin, payload: { title: 'Bare', options: ['a', 'b'] } });
    expect(created.statusCode).toBe(201);
    const head = await bare.eventStore.headLsn();
    const without = (await scrape(bare)).samples;
    expect(relayAndAnchor(without)).toEqual([]);
    expect(valueOf(without, 'proofline_eventstore_head_lsn')).toBe(head);
    // No projection ran on this database: nothing applied, everything still to do.
    expect(valueOf(without, 'proofline_projection_watermark_lsn', { projection: 'governance' })).toBe(0);
    expect(valueOf(without, 'proofline_projection_lag_events', { projection: 'governance' })).toBe(head);

    await migrateRelay(bare.db);
    await storeRelayCheckpoint(bare.db, 'proofline', await bare.eventStore.storeId(), { lsn: head });
    await migrate(bare.db.knex, ANCHOR_BATCH_MIGRATION_GROUP, anchorBatchMigrations);
    const root = new Uint8Array(32).fill(7);
    await insertBatch(bare.db, { batchId: 1, fromLsn: 1, toLsn: 1, root }, 'anchored');
    const withTables = (await scrape(bare)).samples;
    expect(valueOf(withTables, 'proofline_relay_checkpoint_lsn', { relay: 'proofline' })).toBe(head);
    expect(valueOf(withTables, 'proofline_anchor_anchored_lsn')).toBe(1);
    expect(valueOf(withTables, 'proofline_anchor_batches', { status: 'anchored' })).toBe(1);
    expect(valueOf(withTables, 'proofline_anchor_batches', { status: 'stored' })).toBe(0);
    // Marked anchored by the insert just now (the database's clock is this machine's).
    const anchoredAt = valueOf(withTables, 'proofline_anchor_last_anchored_timestamp_seconds')!;
    expect(Math.abs(anchoredAt - Date.now() / 1000)).toBeLessThan(60);

    // The relay's table cannot be read: its metric is left out (not repeated from the last scrape), the rest is there.
    await bare.db.pool.query('alter table relay_checkpoint rename column lsn to lsn_elsewhere');
    const broken = (await scrape(bare)).samples;
    expect(find(broken, 'proofline_relay_checkpoint_lsn', {})).toEqual([]);
    expect(valueOf(broken, 'proofline_anchor_anchored_lsn')).toBe(1);
    expect(valueOf(broken, 'proofline_eventstore_head_lsn')).toBe(head);
    await bare.db.pool.query('alter table relay_checkpoint rename column lsn_elsewhere to lsn');
    expect(valueOf((await scrape(bare)).samples, 'proofline_relay_checkpoint_lsn', { relay: 'proofline' })).toBe(head);
  });
});

// --- a small reader of the Prometheus text exposition format 0.0.4 ---

type Sample = { name: string; labels: Record<string, string>; value: number };

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const SAMPLE_LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?[ \t]+(\S+)(?:[ \t]+(-?\d+))?$/;
const LABEL = /[ \t]*([a-zA-Z_][a-zA-Z0-9_]*)[ \t]*=[ \t]*"((?:[^"\\\n]|\\[\\"n])*)"[ \t]*(,|$)/y;
const VALUE = /^(?:[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|[+-]?Inf|NaN)$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

/**
 * Every sample of the text; throws naming the first line that breaks the format: HELP/TYPE lines with a
 * valid name, one TYPE per family before its samples, sample lines `name{label="value",…} value [timestamp]`
 * with escaped label values and no label twice, a final line feed, and histograms whose `+Inf` bucket is their count.
 */
function parsePrometheusText(text: string): Sample[] {
  if (!text.endsWith('\n')) throw new Error('the text does not end with a line feed');
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  text
    .slice(0, -1)
    .split('\n')
    .forEach((line, index) => {
      const fail = (why: string): never => {
        throw new Error(`line ${index + 1}: ${why}: ${JSON.stringify(line)}`);
      };
      if (line.trim() === '') return;
      if (line.startsWith('#')) {
        const [keyword, name, ...rest] = line.slice(1).trim().split(/[ \t]+/);
        if (keyword !== 'HELP' && keyword !== 'TYPE') return; // any other comment
        if (!name || !METRIC_NAME.test(name)) fail(`${keyword} without a valid metric name`);
        if (keyword === 'TYPE') {
          if (!TYPES.has(rest.join(' '))) fail('unknown metric type');
          if (types.has(name!)) fail('a second TYPE for the same metric');
          if (samples.some((sample) => familyOf(sample.name, types) === name)) fail('TYPE after samples of its metric');
          types.set(name!, rest.join(' '));
        }
        return;
      }
      const match = SAMPLE_LINE.exec(line) ?? fail('not a sample line');
      const labels: Record<string, string> = {};
      const body = match[2] ?? '';
      for (let at = 0; at < body.length; ) {
        LABEL.lastIndex = at;
        const label = LABEL.exec(body) ?? fail(`bad label list at ${JSON.stringify(body.slice(at))}`);
        if (label[1]! in labels) fail(`label ${label[1]} twice`);
        labels[label[1]!] = label[2]!.replace(/\\(["\\n])/g, (_, char: string) => (char === 'n' ? '\n' : char));
        at = LABEL.lastIndex;
        if (label[3] === '' && at < body.length) fail('labels not separated by a comma');
      }
      if (!VALUE.test(match[3]!)) fail('not a number');
      const value = match[3]!.endsWith('Inf') ? (match[3]!.startsWith('-') ? -Infinity : Infinity) : Number(match[3]);
      samples.push({ name: match[1]!, labels, value });
    });
  for (const [family, type] of types) {
    if (type !== 'histogram') continue;
    for (const count of samples.filter((sample) => sample.name === `${family}_count`)) {
      const infinite = find(samples, `${family}_bucket`, { ...count.labels, le: '+Inf' });
      if (infinite.length !== 1 || infinite[0]!.value !== count.value) throw new Error(`${family}${JSON.stringify(count.labels)}: the +Inf bucket is not the count`);
    }
  }
  return samples;
}

function familyOf(sampleName: string, types: ReadonlyMap<string, string>): string {
  for (const suffix of ['_bucket', '_count', '_sum']) {
    const family = sampleName.slice(0, -suffix.length);
    if (sampleName.endsWith(suffix) && types.get(family) === 'histogram') return family;
  }
  return sampleName;
}

/** The samples of `name` whose labels include every one given. */
function find(samples: readonly Sample[], name: string, labels: Record<string, string>): Sample[] {
  return samples.filter((sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value));
}

/** The value of the one sample of `name` with exactly these labels; undefined when there is none. */
function valueOf(samples: readonly Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const matching = samples.filter((sample) => sample.name === name && sameLabels(sample.labels, labels));
  if (matching.length > 1) throw new Error(`${matching.length} samples of ${name} with labels ${JSON.stringify(labels)}`);
  return matching[0]?.value;
}

function sameLabels(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => a[key] === b[key]);
}
