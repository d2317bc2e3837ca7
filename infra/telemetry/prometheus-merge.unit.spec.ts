import { describe, expect, it } from 'vitest';
import { mergePrometheusTexts } from './prometheus-merge.ts';

const worker = (n: number, head: number, count: number) => `# HELP target_info Target metadata
# TYPE target_info gauge
target_info{service_name="proofline-gateway"} 1
# HELP proofline_eventstore_head_lsn LSN of the last event
# TYPE proofline_eventstore_head_lsn gauge
proofline_eventstore_head_lsn ${head}
# HELP proofline_http_request_duration_seconds Time to answer
# TYPE proofline_http_request_duration_seconds histogram
proofline_http_request_duration_seconds_count{method="POST",route="/v1/a b",worker="${n}"} ${count}
proofline_http_request_duration_seconds_bucket{method="POST",route="/v1/a b",worker="${n}",le="+Inf"} ${count}
`;

describe('mergePrometheusTexts', () => {
  it('keeps one HELP/TYPE per family, shared series once (the first text’s), and every worker’s own series', () => {
    expect(mergePrometheusTexts([worker(1, 7, 3), worker(2, 8, 5)])).toBe(`# HELP target_info Target metadata
# TYPE target_info gauge
target_info{service_name="proofline-gateway"} 1
# HELP proofline_eventstore_head_lsn LSN of the last event
# TYPE proofline_eventstore_head_lsn gauge
proofline_eventstore_head_lsn 7
# HELP proofline_http_request_duration_seconds Time to answer
# TYPE proofline_http_request_duration_seconds histogram
proofline_http_request_duration_seconds_count{method="POST",route="/v1/a b",worker="1"} 3
proofline_http_request_duration_seconds_bucket{method="POST",route="/v1/a b",worker="1",le="+Inf"} 3
proofline_http_request_duration_seconds_count{method="POST",route="/v1/a b",worker="2"} 5
proofline_http_request_duration_seconds_bucket{method="POST",route="/v1/a b",worker="2",le="+Inf"} 5
`);
  });

  it('adds a family only one text has, after the others, and answers nothing for nothing', () => {
    const merged = mergePrometheusTexts([worker(1, 7, 3), '# HELP proofline_x X\n# TYPE proofline_x gauge\nproofline_x{projection="a"} 1\n']);
    expect(merged.endsWith('# HELP proofline_x X\n# TYPE proofline_x gauge\nproofline_x{projection="a"} 1\n')).toBe(true);
    expect(mergePrometheusTexts(['', ''])).toBe('');
  });
});
