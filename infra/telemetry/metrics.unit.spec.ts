import { describe, expect, it } from 'vitest';
import { createMetricsRegistry } from './metrics.ts';

const lines = (text: string) => text.split('\n').filter((line) => line !== '' && !line.startsWith('#'));

describe('createMetricsRegistry', () => {
  it('renders its instruments as Prometheus text, ending with a line feed, target_info first', async () => {
    const registry = createMetricsRegistry({ serviceName: 'proofline-test' });
    const histogram = registry.meter.createHistogram('proofline_test_duration_seconds', { unit: 's', advice: { explicitBucketBoundaries: [0.1, 1] } });
    histogram.record(0.5, { route: '/a/:id' });
    histogram.record(2, { route: '/a/:id' });
    const text = await registry.renderPrometheus();
    expect(text.endsWith('\n')).toBe(true);
    expect(lines(text)).toEqual([
      'target_info{service_name="proofline-test"} 1',
      'proofline_test_duration_seconds_count{route="/a/:id"} 2',
      'proofline_test_duration_seconds_sum{route="/a/:id"} 2.5',
      'proofline_test_duration_seconds_bucket{route="/a/:id",le="0.1"} 0',
      'proofline_test_duration_seconds_bucket{route="/a/:id",le="1"} 1',
      'proofline_test_duration_seconds_bucket{route="/a/:id",le="+Inf"} 2',
    ]);
    expect(text).toContain('# TYPE proofline_test_duration_seconds histogram');
    await registry.shutdown();
  });

  it('keeps registries apart: what one records, another never shows', async () => {
    const [first, second] = [createMetricsRegistry(), createMetricsRegistry()];
    first.meter.createCounter('proofline_test_events').add(3);
    second.meter.createCounter('proofline_test_events');
    expect(await first.renderPrometheus()).toContain('proofline_test_events_total 3');
    expect(await second.renderPrometheus()).not.toContain('proofline_test_events_total');
    await Promise.all([first.shutdown(), second.shutdown()]);
  });

  it('shows an observable gauge only as observed in this scrape: never a stale series, nothing when its callback fails', async () => {
    const errors: unknown[] = [];
    const registry = createMetricsRegistry({ onCollectError: (error) => errors.push(error) });
    const gauge = registry.meter.createObservableGauge('proofline_test_lsn');
    const scrapes: Array<(observe: (value: number, projection: string) => void) => void> = [
      (observe) => (observe(5, 'a'), observe(6, 'b')),
      (observe) => observe(7, 'a'),
      () => {
        throw new Error('store unreachable');
      },
    ];
    let scrape = 0;
    registry.meter.addBatchObservableCallback((result) => scrapes[scrape++]!((value, projection) => result.observe(gauge, value, { projection })), [gauge]);
    const samples = async () => lines(await registry.renderPrometheus()).filter((line) => line.startsWith('proofline_test_lsn'));
    expect(await samples()).toEqual(['proofline_test_lsn{projection="a"} 5', 'proofline_test_lsn{projection="b"} 6']);
    expect(await samples()).toEqual(['proofline_test_lsn{projection="a"} 7']);
    expect(await samples()).toEqual([]);
    expect(errors).toEqual([new Error('store unreachable')]);
    await registry.shutdown();
  });

  it('leaves out a gauge whose callback outlives the collection timeout, and still answers', async () => {
    const errors: unknown[] = [];
    const registry = createMetricsRegistry({ collectTimeoutMs: 20, onCollectError: (error) => errors.push(error) });
    const gauge = registry.meter.createObservableGauge('proofline_test_slow_lsn');
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    registry.meter.addBatchObservableCallback(async (result) => {
      await released;
      result.observe(gauge, 1);
    }, [gauge]);
    registry.meter.createCounter('proofline_test_fast').add(1);
    const text = await registry.renderPrometheus();
    release();
    expect(text).toContain('proofline_test_fast_total 1');
    expect(text).not.toMatch(/^proofline_test_slow_lsn /m);
    expect(errors).toHaveLength(1);
    await registry.shutdown();
  });
});
