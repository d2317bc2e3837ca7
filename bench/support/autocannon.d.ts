// The part of autocannon (9.x, which ships no types) that bench/votes-http.ts and bench/http use.
declare module 'autocannon' {
  type AutocannonRequest = {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    body?: string;
    /** Called before each request a connection sends; what it returns is sent. */
    setupRequest?: (request: AutocannonRequest, context: Record<string, unknown>) => AutocannonRequest;
    /** Called with each answer to a request built from this one. */
    onResponse?: (status: number, body: string, context: Record<string, unknown>) => void;
  };

  type AutocannonOptions = {
    url: string;
    connections?: number;
    pipelining?: number;
    /** Requests to send in all, then stop. */
    amount?: number;
    /** Seconds to run (when no `amount`); requests still unanswered then are cut off. */
    duration?: number;
    /** Seconds before a request counts as timed out. */
    timeout?: number;
    method?: string;
    headers?: Record<string, string>;
    requests?: AutocannonRequest[];
  };

  /** Figures of an HDR histogram (latency in ms, requests per second sampled each second). */
  type AutocannonHistogram = { average: number; min: number; max: number; p50: number; p90: number; p99: number };

  type AutocannonResult = {
    latency: AutocannonHistogram;
    requests: AutocannonHistogram;
    /** Seconds, to the hundredth. */
    duration: number;
    errors: number;
    timeouts: number;
    non2xx: number;
    '2xx': number;
    statusCodeStats: Record<string, { count: number }>;
  };

  function autocannon(options: AutocannonOptions): Promise<AutocannonResult>;
  export default autocannon;
  export type { AutocannonOptions, AutocannonRequest, AutocannonResult };
}
