import { trace, type Tracer } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { initTelemetry, otlpTracesUrl, type Telemetry } from './telemetry.ts';
import { contextFromTraceparent, currentTraceContext, currentTraceparent, withEventSpan } from './trace-context.ts';

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const PARENT_SPAN_ID = 'b7ad6b7169203331';
const TRACEPARENT = `00-${TRACE_ID}-${PARENT_SPAN_ID}-01`;

function event(metadata: Record<string, unknown> = { traceparent: TRACEPARENT }) {
  return { eventId: 'e-1', type: 'VoteCast', streamId: 'decision-1', lsn: 17, metadata };
}

describe('withEventSpan', () => {
  let exporter: InMemorySpanExporter;
  let tracer: Tracer;
  beforeEach(() => {
    exporter = new InMemorySpanExporter();
    tracer = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }).getTracer('test');
  });

  it("starts a `project <name>` span whose parent is the event's traceparent span", async () => {
    const result = await withEventSpan(tracer, 'governance', event(), async () => 'applied');
    expect(result).toBe('applied');
    const [span] = exporter.getFinishedSpans();
    expect(span?.name).toBe('project governance');
    expect(span?.spanContext().traceId).toBe(TRACE_ID);
    expect(span?.parentSpanContext?.spanId).toBe(PARENT_SPAN_ID);
    expect(span?.parentSpanContext?.isRemote).toBe(true);
    expect(span?.attributes).toMatchObject({
      'proofline.projection': 'governance',
      'proofline.event.id': 'e-1',
      'proofline.event.type': 'VoteCast',
      'proofline.event.lsn': 17,
      'proofline.stream.id': 'decision-1',
    });
  });

  it("reads the type of a projection's decoded event too", async () => {
    const { type: _type, ...rest } = event();
    await withEventSpan(tracer, 'governance', { ...rest, event: { type: 'DecisionClosed' } }, () => undefined);
    expect(exporter.getFinishedSpans()[0]?.attributes['proofline.event.type']).toBe('DecisionClosed');
  });

  it('records a failure, ends the span and rethrows', async () => {
    await expect(withEventSpan(tracer, 'governance', event(), () => Promise.reject(new Error('refused')))).rejects.toThrow('refused');
    const [span] = exporter.getFinishedSpans();
    expect(span?.status).toMatchObject({ code: 2, message: 'refused' });
    expect(span?.events.map((e) => e.name)).toContain('exception');
  });

  it('starts a root span for an event without (or with a malformed) traceparent', async () => {
    await withEventSpan(tracer, 'governance', event({}), () => undefined);
    await withEventSpan(tracer, 'governance', event({ traceparent: 'garbage' }), () => undefined);
    for (const span of exporter.getFinishedSpans()) expect(span.parentSpanContext).toBeUndefined();
  });
});

describe('traceparent helpers', () => {
  it('contextFromTraceparent gives a context whose span is the remote parent, tracestate included', () => {
    const spanContext = trace.getSpanContext(contextFromTraceparent(TRACEPARENT, 'vendor=x'));
    expect(spanContext).toMatchObject({ traceId: TRACE_ID, spanId: PARENT_SPAN_ID, isRemote: true });
    expect(spanContext?.traceState?.get('vendor')).toBe('x');
    expect(currentTraceContext(contextFromTraceparent(TRACEPARENT, 'vendor=x'))).toEqual({ traceparent: TRACEPARENT, tracestate: 'vendor=x' });
  });

  it('currentTraceparent is undefined outside any span', () => {
    expect(currentTraceparent()).toBeUndefined();
  });
});

describe('initTelemetry', () => {
  let telemetry: Telemetry | undefined;
  afterEach(async () => {
    await telemetry?.shutdown();
    telemetry = undefined;
  });

  it('registers a provider process-wide: the active span becomes the traceparent to store with events', async () => {
    const exporter = new InMemorySpanExporter();
    telemetry = initTelemetry({ serviceName: 'proofline-test', exporter });
    expect(telemetry.exportsTo).toBe('exporter');
    const tracer = trace.getTracer('commands');
    const traceparent = await tracer.startActiveSpan('append', async (span) => {
      await Promise.resolve(); // the active span survives an await (AsyncLocalStorage context manager)
      const value = currentTraceparent();
      span.end();
      return { value, spanId: span.spanContext().spanId, traceId: span.spanContext().traceId };
    });
    expect(traceparent.value).toBe(`00-${traceparent.traceId}-${traceparent.spanId}-01`);

    // The projection side: a child of the command's span, across the "log".
    await withEventSpan(tracer, 'governance', event({ traceparent: traceparent.value }), () => undefined);
    const [append, project] = exporter.getFinishedSpans();
    expect(project?.parentSpanContext?.spanId).toBe(append?.spanContext().spanId);
    expect(append?.resource.attributes['service.name']).toBe('proofline-test');
  });

  it('exports over OTLP/HTTP only when an endpoint is configured', async () => {
    telemetry = initTelemetry({ serviceName: 's', register: false, environment: {} });
    expect(telemetry.exportsTo).toBe('none');
    await telemetry.shutdown();
    telemetry = initTelemetry({ serviceName: 's', register: false, environment: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' } });
    expect(telemetry.exportsTo).toBe('otlp');
    expect(otlpTracesUrl({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' })).toBe('http://collector:4318/v1/traces');
    expect(otlpTracesUrl({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c/traces', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x' })).toBe('http://c/traces');
  });
});
