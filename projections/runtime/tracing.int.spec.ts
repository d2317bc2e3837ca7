// The traceparent an event carries in its metadata becomes the parent of the span that projects it
// (infra/telemetry/projection-tracing.ts, the tracer a worker is given), through the process-wide provider
// initTelemetry() registers.
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalSource } from '../../infra/bus/local/local-source.ts';
import { initTelemetry, type Telemetry } from '../../infra/telemetry/index.ts';
import { PROJECTIONS_TRACER, projectionTracing } from '../../infra/telemetry/projection-tracing.ts';
import type { RecordedEvent } from '../../ports/event-store.ts';
import type { Projection } from '../projection.ts';
import { decisionCreated, voteCast } from '../testing/governance-events.ts';
import { createProjectionTestbed, type ProjectionTestbed } from '../testing/projection-testbed.ts';
import { scriptedSource } from '../testing/scripted-source.ts';
import { ProjectionBatchError } from './errors.ts';
import { streamCounter } from './stream-counter.fixture.ts';
import { waitForWatermark } from './watermark.ts';
import { createProjectionWorker } from './worker.ts';

const CREATED = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331' };
const REFUSED = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7' };
const traceparent = ({ traceId, spanId }: { traceId: string; spanId: string }) => `00-${traceId}-${spanId}-01`;

let testbed: ProjectionTestbed;
let telemetry: Telemetry;
let exporter: InMemorySpanExporter;

beforeAll(async () => {
  testbed = await createProjectionTestbed();
  exporter = new InMemorySpanExporter();
  telemetry = initTelemetry({ serviceName: 'test', exporter });
});
afterAll(async () => {
  await telemetry.shutdown();
  await testbed.close();
});

/** Runs a worker over the local bus until it has applied the whole log, then stops it. */
async function catchUp(projection: Projection): Promise<void> {
  const controller = new AbortController();
  const source = createLocalSource(testbed.eventStore, { maxBatchEvents: 100 });
  const running = createProjectionWorker({ db: testbed.db, projection, source, tracer: projectionTracing }).run(controller.signal);
  try {
    await waitForWatermark(testbed.db, projection.name, await testbed.eventStore.headLsn(), { timeoutMs: 10_000 });
  } finally {
    controller.abort();
    await running;
  }
}

const spansOf = (event: RecordedEvent): ReadableSpan[] =>
  exporter.getFinishedSpans().filter((span) => span.attributes['proofline.event.id'] === event.eventId);

describe('projection spans', () => {
  let recorded: RecordedEvent[];

  beforeAll(async () => {
    recorded = await testbed.append([
      { streamId: 'traced-a', event: decisionCreated('traced-a'), metadata: { traceparent: traceparent(CREATED), correlationId: 'c-1' } },
      { streamId: 'traced-a', event: voteCast('traced-a', 'mallory'), metadata: { traceparent: traceparent(REFUSED) } },
      { streamId: 'traced-b', event: decisionCreated('traced-b') }, // no traceparent
    ]);
    await catchUp(streamCounter('tracing', { refusedVoters: ['mallory'] }));
  });

  it("makes the event's traceparent the parent of the span that projects it", () => {
    const [span] = spansOf(recorded[0]!);
    expect(span).toBeDefined();
    expect(span!.name).toBe('project tracing DecisionCreated');
    expect(span!.kind).toBe(SpanKind.CONSUMER);
    expect(span!.spanContext().traceId).toBe(CREATED.traceId);
    expect(span!.parentSpanContext?.spanId).toBe(CREATED.spanId);
    expect(span!.parentSpanContext?.isRemote).toBe(true);
    expect(span!.instrumentationScope.name).toBe(PROJECTIONS_TRACER);
    expect(span!.resource.attributes['service.name']).toBe('test');
    expect(span!.attributes).toMatchObject({
      'proofline.projection': 'tracing',
      'proofline.event.id': recorded[0]!.eventId,
      'proofline.event.type': 'DecisionCreated',
      'proofline.event.lsn': recorded[0]!.lsn,
      'proofline.stream.id': 'traced-a',
    });
    expect(span!.status.code).not.toBe(2);
  });

  it('links each event span to the span of the batch that applied it', () => {
    // How the local source splits the log into batches depends on timing: find the batch by the link.
    const batches = exporter.getFinishedSpans().filter((span) => span.name === 'apply batch tracing');
    for (const event of recorded.slice(0, 2)) {
      const links = spansOf(event)[0]!.links;
      expect(links).toHaveLength(1);
      const batch = batches.find((span) => span.spanContext().spanId === links[0]!.context.spanId);
      expect(batch).toBeDefined();
      expect(batch!.parentSpanContext).toBeUndefined();
      expect(batch!.attributes).toMatchObject({ 'proofline.projection': 'tracing', 'proofline.batch.topic': 'log', 'proofline.batch.partition': 0 });
      expect(batch!.attributes['proofline.batch.first_lsn']).toBeLessThanOrEqual(event.lsn);
      expect(batch!.attributes['proofline.batch.last_lsn']).toBeGreaterThanOrEqual(event.lsn);
    }
    const counted = (name: string) => batches.reduce((sum, span) => sum + Number(span.attributes[name] ?? 0), 0);
    expect([counted('proofline.batch.applied'), counted('proofline.batch.parked')]).toEqual([2, 1]);
  });

  it('marks the span of a parked event as failed, with the reason', () => {
    const [span] = spansOf(recorded[1]!);
    expect(span!.spanContext().traceId).toBe(REFUSED.traceId);
    expect(span!.parentSpanContext?.spanId).toBe(REFUSED.spanId);
    expect(span!.status).toMatchObject({ code: 2, message: expect.stringContaining('voter mallory is refused') });
    expect(span!.attributes['proofline.parked']).toBe(true);
  });

  it('makes no event span for an event without a traceparent', () => {
    expect(spansOf(recorded[2]!)).toEqual([]);
  });
});

describe('a batch that cannot be committed', () => {
  it('marks the batch span and the spans of its traced events as failed', async () => {
    const failing = { traceId: '5bf92f3577b34da6a3ce929d0e0e4737', spanId: '10f067aa0ba902b8' };
    const recorded = await testbed.append([{ streamId: 'traced-crash', event: decisionCreated('traced-crash'), metadata: { traceparent: traceparent(failing) } }]);
    const crashing = streamCounter('tracing_crash', {
      afterWrite: async (_, trx) => void (await trx.raw('select pg_terminate_backend(pg_backend_pid())')),
    });
    const batch = { topic: 'scripted', partition: 0, events: recorded, watermarkLsn: recorded[0]!.lsn, nextOffset: null };
    const worker = createProjectionWorker({ db: testbed.db, projection: crashing, source: scriptedSource([batch]), batchAttempts: 1, waitOutOutages: false, tracer: projectionTracing });
    await expect(worker.run(new AbortController().signal)).rejects.toBeInstanceOf(ProjectionBatchError);

    const [span] = spansOf(recorded[0]!);
    expect(span!.parentSpanContext?.spanId).toBe(failing.spanId);
    expect(span!.status.code).toBe(2);
    expect(span!.events.map((e) => e.name)).toContain('exception');
    const batchSpan = exporter.getFinishedSpans().find((s) => s.spanContext().spanId === span!.links[0]?.context.spanId);
    expect(batchSpan).toMatchObject({ name: 'apply batch tracing_crash', status: { code: 2 } });
  });
});
