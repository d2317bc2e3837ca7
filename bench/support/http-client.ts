// HTTP for the benchmarks. For load generators, one request on a keep-alive agent, resolving with the status and
// the body: node:http rather than fetch, since Node 20's fetch spends about 0.5 ms of CPU per request (node:http
// about 0.08 ms), which on a 2-core machine would leave the load generator, not the gateway, setting the pace.
// For setup (not timed), a JSON call with fetch that must get the expected status.
import http from 'node:http';

export type HttpAnswer = { status: number; text: string };

/** A GET (no body), or a POST or PUT with a JSON body; `authorization` is sent when given. */
export function send(agent: http.Agent, endpoint: URL, options: { method: 'GET' | 'POST' | 'PUT'; authorization?: string; body?: string }): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const headers: http.OutgoingHttpHeaders = {};
    if (options.body !== undefined) Object.assign(headers, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(options.body) });
    if (options.authorization !== undefined) headers.authorization = options.authorization;
    const request = http.request(
      { agent, host: endpoint.hostname, port: endpoint.port, path: endpoint.pathname + endpoint.search, method: options.method, headers },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(options.body);
  });
}

/** The `error` code of an error answer's JSON body, or 'unparsed'. */
export function errorCodeOf(text: string): string {
  try {
    return String((JSON.parse(text) as { error?: unknown }).error);
  } catch {
    return 'unparsed';
  }
}

/** A JSON request to the gateway as `authorization`, which must answer `expected`; throws with the answer otherwise. */
export async function callJson(baseUrl: string, authorization: string, method: string, route: string, body: object, expected: number): Promise<unknown> {
  const response = await fetch(`${baseUrl}${route}`, { method, headers: { 'content-type': 'application/json', authorization }, body: JSON.stringify(body) });
  const text = await response.text();
  if (response.status !== expected) throw new Error(`${method} ${route}: expected ${expected}, got ${response.status} ${text}`);
  return JSON.parse(text) as unknown;
}
