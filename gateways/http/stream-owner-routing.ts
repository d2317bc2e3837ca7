// One writer per hot stream across gateways. Within a process, commands/stream-writer.ts batches a stream's
// commands into one append; two gateways writing the same escrow would instead race for its revision and
// collapse into conflicts. So a route that writes a hot stream names it (`config.ownedStream`), and the
// stream is owned by one live gateway, chosen by rendezvous hashing over the membership (ports/gateway-members.ts):
// a gateway that is not the owner forwards the client's request, as it came, to the owner's own address and
// relays the answer.
//
// - Where: preValidation, after the body is parsed and before the idempotency guard claims the key, so the
//   owner claims it and runs the command once. The owner verifies the client's credential itself (the
//   Authorization header goes along): forwarding grants nothing.
// - A forwarded request (FORWARDED_HEADER) is always handled where it lands: no loops, even while two members
//   briefly disagree on who is live.
// - Owner unreachable (refused connection, or it answers `not_ready` while closing): handled here, and the owner
//   is left out until the membership is read again. Correctness never depended on routing: the expected
//   revision keeps the stream consistent, routing only keeps it fast.
// - Any other failure after the request may have reached the owner: 503 `not_ready` with Retry-After, since
//   handling it here too could run a command without Idempotency-Key twice.
// - One member alone, or no membership given to buildHttpApp: every request is handled here, with no hook at all
//   in the second case.
//
// Every answer of an owned route says which member ran it, in HANDLED_BY_HEADER (its member id).
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { GatewayMember, GatewayMembers } from '../../ports/gateway-members.ts';
import { HttpError } from './errors.ts';
import { rendezvousOwner } from './rendezvous.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The hot stream this request writes, read from the parsed but not yet validated request (undefined: no
     * routing, e.g. a body the schema will refuse anyway).
     */
    ownedStream?: (request: FastifyRequest) => string | undefined;
  }
}

/** Set on a request one member sends to another, with the sender's member id. */
export const FORWARDED_HEADER = 'x-proofline-forwarded-by';
/** The member id of the gateway that ran an owned route's request. */
export const HANDLED_BY_HEADER = 'x-proofline-handled-by';

/** The client's headers the owner needs to handle the request as its own. */
const FORWARDED_REQUEST_HEADERS = ['authorization', 'idempotency-key', 'content-type', 'accept', 'traceparent', 'tracestate', 'x-correlation-id'] as const;
/** The owner's headers the client is told. */
const RELAYED_RESPONSE_HEADERS = ['content-type', 'retry-after', 'idempotent-replayed', HANDLED_BY_HEADER] as const;
/** Failures that say the request never reached the owner. */
const NOT_DELIVERED = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EADDRNOTAVAIL']);

export type StreamOwnersOptions = {
  members: GatewayMembers;
  logger: FastifyBaseLogger;
  /** How often this member beats and reads the membership. Default 1 s. */
  beatEveryMs?: number;
  /** A member is live while its last beat is younger than this. Default 5 s. */
  liveForMs?: number;
  /** Most open connections to one other member. Default 256. */
  maxSocketsPerMember?: number;
};

/**
 * This gateway's view of the membership: it joins with `start(url)`, beats, and says who owns a stream.
 * Until started (and once stopped, or when its view is older than a member's lifetime) it owns everything.
 */
export class StreamOwners {
  readonly memberId = randomUUID();
  private self: GatewayMember | undefined;
  private live: readonly GatewayMember[] = [];
  private lastBeatAt = 0;
  /** Members found unreachable, left out until the time given. */
  private readonly unreachable = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private beating: Promise<void> | undefined;
  private readonly beatEveryMs: number;
  private readonly liveForMs: number;
  readonly agent: http.Agent;

  constructor(private readonly options: StreamOwnersOptions) {
    this.beatEveryMs = options.beatEveryMs ?? 1000;
    this.liveForMs = options.liveForMs ?? 5000;
    this.agent = new http.Agent({ keepAlive: true, maxSockets: options.maxSocketsPerMember ?? 256 });
  }

  /** Joins the membership at `url` (this member's own address); the first beat's failure is the caller's. */
  async start(url: string): Promise<void> {
    this.self = { memberId: this.memberId, url };
    await this.beat();
    this.timer = setInterval(() => void this.refresh(), this.beatEveryMs);
    this.timer.unref();
  }

  /** Leaves the membership: the others stop forwarding here at their next beat, not after a lifetime. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.beating;
    const self = this.self;
    this.self = undefined;
    this.live = [];
    this.agent.destroy();
    if (self) await this.options.members.leave(self.memberId);
  }

  /** The member that writes `streamId`, or undefined when it is this one. */
  ownerOf(streamId: string): GatewayMember | undefined {
    if (!this.self || this.live.length <= 1) return undefined;
    const now = Date.now();
    // A view this old may name members that are gone: better one member writing more than forwarding into the void.
    if (now - this.lastBeatAt > this.liveForMs) return undefined;
    const candidates = this.unreachable.size === 0 ? this.live : this.live.filter((member) => !this.isUnreachable(member, now));
    const owner = rendezvousOwner(streamId, candidates);
    return owner === undefined || owner.memberId === this.memberId ? undefined : owner;
  }

  /** The members this one sees live now (itself included once started). */
  members(): readonly GatewayMember[] {
    return this.live;
  }

  /** The owner could not take a request: leave it out for a member's lifetime and read the membership again. */
  markUnreachable(member: GatewayMember): void {
    this.unreachable.set(member.memberId, Date.now() + this.liveForMs);
    void this.refresh();
  }

  /** Beats now (at most one beat at a time); a failure is logged, the view kept until it is too old. */
  refresh(): Promise<void> {
    this.beating ??= this.beat()
      .catch((error: unknown) => this.options.logger.warn({ err: error, memberId: this.memberId }, 'gateway membership: beat failed; the view ages out'))
      .finally(() => (this.beating = undefined));
    return this.beating;
  }

  private async beat(): Promise<void> {
    const self = this.self;
    if (!self) return;
    const seen = await this.options.members.beat(self, this.liveForMs);
    if (this.self !== self) return; // stopped meanwhile
    // Itself always, even if its row was not read back (it cannot be unreachable to itself).
    this.live = seen.some((member) => member.memberId === self.memberId) ? seen : [...seen, self];
    this.lastBeatAt = Date.now();
    const now = Date.now();
    for (const [memberId, until] of this.unreachable) if (until <= now) this.unreachable.delete(memberId);
  }

  private isUnreachable(member: GatewayMember, now: number): boolean {
    const until = this.unreachable.get(member.memberId);
    return until !== undefined && until > now;
  }
}

/** Adds the routing hook for every route registered after it that declares `config.ownedStream`. */
export function registerStreamOwnerRouting(app: FastifyInstance, owners: StreamOwners): void {
  app.addHook('preValidation', async (request, reply) => {
    const ownedStream = request.routeOptions.config.ownedStream;
    if (!ownedStream) return;
    const streamId = request.headers[FORWARDED_HEADER] === undefined ? ownedStream(request) : undefined;
    const owner = streamId === undefined ? undefined : owners.ownerOf(streamId);
    if (!owner) {
      reply.header(HANDLED_BY_HEADER, owners.memberId);
      return;
    }
    const answer = await forwardTo(owner, request, owners).catch((error: unknown) => ({ failed: error }));
    if ('failed' in answer) {
      const code = (answer.failed as { code?: string }).code;
      if (code === undefined || !NOT_DELIVERED.has(code)) {
        request.log.error({ err: answer.failed, owner: owner.memberId, streamId }, 'stream owner failed mid-request: the client retries');
        throw new HttpError('not_ready', `the gateway writing ${streamId} did not answer; retry shortly`);
      }
      request.log.warn({ err: answer.failed, owner: owner.memberId, ownerUrl: owner.url, streamId }, 'stream owner unreachable: handled here');
      owners.markUnreachable(owner);
      reply.header(HANDLED_BY_HEADER, owners.memberId);
      return;
    }
    if (answer.status === 503 && answer.headers[HANDLED_BY_HEADER] === undefined) {
      // Refused before any route ran (the owner is closing): nothing was done there.
      request.log.warn({ owner: owner.memberId, streamId }, 'stream owner is not taking requests: handled here');
      owners.markUnreachable(owner);
      reply.header(HANDLED_BY_HEADER, owners.memberId);
      return;
    }
    relay(answer, reply);
    return reply;
  });
}

type OwnerAnswer = { status: number; headers: http.IncomingHttpHeaders; body: Buffer };

function forwardTo(owner: GatewayMember, request: FastifyRequest, owners: StreamOwners): Promise<OwnerAnswer> {
  const headers: Record<string, string | string[] | number> = { [FORWARDED_HEADER]: owners.memberId, 'x-request-id': request.id };
  for (const name of FORWARDED_REQUEST_HEADERS) {
    const value: string | string[] | undefined = request.headers[name];
    if (value !== undefined) headers[name] = value;
  }
  const body = request.body === undefined ? undefined : Buffer.from(JSON.stringify(request.body));
  if (body) headers['content-length'] = body.length;
  return new Promise<OwnerAnswer>((resolve, reject) => {
    const outgoing = http.request(new URL(request.url, owner.url), { method: request.method, headers, agent: owners.agent }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 502, headers: response.headers, body: Buffer.concat(chunks) }));
      response.on('error', reject);
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

function relay(answer: OwnerAnswer, reply: FastifyReply): void {
  for (const name of RELAYED_RESPONSE_HEADERS) {
    const value = answer.headers[name];
    if (value !== undefined) reply.header(name, Array.isArray(value) ? value.join(', ') : value);
  }
  // A string is sent as it is: the owner already serialised it against the route's response schema.
  reply.code(answer.status).send(answer.body.toString('utf8'));
}
