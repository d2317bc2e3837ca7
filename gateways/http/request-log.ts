// The gateway's request log: fastify's own two lines per request ("incoming request", "request completed")
// are two writes to stdout per request on the hot path. This log controller writes one line per answered
// request that matters: every refusal (4xx), every failure (5xx; the error handler also logs its error),
// every slow answer, and `sample` of the others.
import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';

/** Answers slower than this are always logged. */
export const SLOW_REQUEST_MS = 1000;

export class SampledRequestLog extends LogController {
  constructor(
    private readonly sample: number,
    private readonly slowMs = SLOW_REQUEST_MS,
  ) {
    super();
  }

  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const status = reply.statusCode;
    const ms = reply.elapsedTime;
    const notable = Boolean(error) || status >= 400 || ms >= this.slowMs;
    if (!notable && !(Math.random() < this.sample)) return;
    const line = { method: request.method, url: request.url, remoteAddress: request.ip, statusCode: status, responseTime: ms, sampled: !notable };
    if (error) reply.log.error({ ...line, err: error }, 'request errored');
    else reply.log.info(line, 'request completed');
  }
}
