// One writer per hot stream across gateways. Within a process, commands/stream-writer.ts batches a stream's
// commands into one append; two gateways writing the same escrow would instead race for its revision and
// collapse into conflicts. So each stream is owned by one live gateway, chosen by rendezvous hashing over the
// membership (ports/gateway-members.ts), and a use case that writes a hot stream runs its commands through the
// StreamRouter port (ports/stream-routing.ts), which this class implements:
//
// - The gateway a request arrives at does everything a request needs but the command itself: the credential, rate
//   limit, validation, Idempotency-Key, the participants' reads, the HTTP answer. Only the decided-and-appended
//   step crosses over: the owner runs the command on its single writer and sends back the outcome (or the refusal,
//   re-raised here as the same error). So the owner's work per forwarded command is smaller than per request of its
//   own, and the two gateways share the HTTP work instead of both doing it.
// - The commands one gateway sends one owner within an event-loop turn go in ONE HTTP request to its COMMANDS_PATH:
//   one round trip per batch, not per command (the socket writes of a hop per request cost as much as the command).
// - COMMANDS_PATH takes only members' calls: a key derived from the installation's auth secret, which every gateway
//   of it holds (they share the database and verify the same credentials; the actor comes verified).
// - A command sent by a member runs where it lands (serve, never routed again): no loops, even while two members
//   briefly disagree on who is live.
// - Owner unreachable (refused connection, or it answers 503 while closing): the command runs here, and the owner is
//   left out until the membership is read again. Correctness never depended on routing: the expected revision keeps
//   the stream consistent; routing only keeps it fast.
// - Any other failure after the command may have reached the owner: 503 `not_ready` with Retry-After, since running
//   it here too could run a command without Idempotency-Key twice.
// - One member alone, or no StreamOwners given to buildHttpApp: every command runs here, with no hook at all in the
//   second case.
//
// An answer whose command ran on another gateway names it in HANDLED_BY_HEADER (its member id); one that ran here
// names this gateway, once a routed use case was involved.
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { FastifyBaseLogger, FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { DomainError } from '../../commands/decider.ts';
import { DuplicateEventIdError, WrongExpectedRevisionError, type ExpectedRevision } from '../../ports/event-store.ts';
import type { GatewayMember, GatewayMembers } from '../../ports/gateway-members.ts';
import type { StreamRouter } from '../../ports/stream-routing.ts';
import { access } from './access-control.ts';
import { HttpError, type ErrorBody, type ErrorCode } from './errors.ts';
import { rendezvousOwner } from './rendezvous.ts';

/** The member id of the gateway that ran an answer's routed command. */
export const HANDLED_BY_HEADER = 'x-proofline-handled-by';
/** Where a member sends the commands of the streams another one owns, in batches. */
export const COMMANDS_PATH = '/v1/internal/stream-commands';
/** The calling member's key on COMMANDS_PATH. */
export const MEMBER_KEY_HEADER = 'x-proofline-member-key';
/** Most commands in one batch; more go in the next. */
const MAX_BATCH = 1000;
/** Failures that say the batch never reached the owner, or that it refused it before running anything. */
const NOT_DELIVERED = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EADDRNOTAVAIL', 'OWNER_NOT_READY']);

export type StreamOwnersOptions = {
  members: GatewayMembers;
  /** The installation's auth secret (every gateway of it holds it): members prove they are members with a key derived from it. */
  memberSecret: Uint8Array;
  logger: FastifyBaseLogger;
  /** How often this member beats and reads the membership. Default 1 s. */
  beatEveryMs?: number;
  /** A member is live while its last beat is younger than this. Default 5 s. */
  liveForMs?: number;
  /** Most open connections to one other member (each carries a batch at a time). Default 16. */
  maxSocketsPerMember?: number;
};

/**
 * This gateway's view of the membership: it joins with `start(url)`, beats, and says who owns a stream.
 * Until started (and once stopped, or when its view is older than a member's lifetime) it owns everything.
 */
export class StreamOwners implements StreamRouter {
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
  private readonly agent: http.Agent;
  /** What a member sends in MEMBER_KEY_HEADER. */
  readonly memberKey: string;
  private readonly handlers = new Map<string, (payload: unknown) => Promise<unknown>>();
  /** Commands waiting for this turn's batch, by owner. */
  private readonly pending = new Map<string, { owner: GatewayMember; calls: PendingCall[] }>();
  private flushScheduled = false;

  constructor(private readonly options: StreamOwnersOptions) {
    this.beatEveryMs = options.beatEveryMs ?? 1000;
    this.liveForMs = options.liveForMs ?? 5000;
    this.agent = new http.Agent({ keepAlive: true, maxSockets: options.maxSocketsPerMember ?? 16 });
    this.memberKey = createHmac('sha256', options.memberSecret).update('proofline gateway member').digest('base64url');
  }

  async run<T>(streamId: string, kind: string, payload: unknown, local: () => Promise<T>, ranBy?: (memberId: string) => void): Promise<T> {
    const here = () => (ranBy?.(this.memberId), local());
    const owner = this.ownerOf(streamId);
    if (!owner) return here();
    const answer = await new Promise<CallAnswer>((resolve) => this.enqueue(owner, { kind, payload, resolve }));
    if ('ran' in answer) {
      ranBy?.(owner.memberId);
      if ('error' in answer.ran) throw errorFrom(answer.ran.error);
      return answer.ran.value as T;
    }
    const code = (answer.failed as { code?: string }).code;
    if (code === undefined || !NOT_DELIVERED.has(code)) {
      this.options.logger.error({ err: answer.failed, owner: owner.memberId, streamId }, 'stream owner failed mid-command: the client retries');
      throw new HttpError('not_ready', `the gateway writing ${streamId} did not answer; retry shortly`);
    }
    // Nothing reached the owner: run it here (the expected revision keeps the stream consistent) and ask again who is live.
    this.options.logger.warn({ err: answer.failed, owner: owner.memberId, ownerUrl: owner.url, streamId }, 'stream owner unreachable: handled here');
    this.markUnreachable(owner);
    return here();
  }

  serve(kind: string, handler: (payload: unknown) => Promise<unknown>): void {
    this.handlers.set(kind, handler);
  }

  /** Runs commands other members sent here, each on its own: a refusal of one is its answer, not the batch's. */
  runSent(calls: readonly { kind: string; payload: unknown }[]): Promise<CallResult[]> {
    return Promise.all(
      calls.map(async ({ kind, payload }): Promise<CallResult> => {
        const handler = this.handlers.get(kind);
        try {
          if (!handler) throw new Error(`no handler serves ${kind} here`);
          return { value: await handler(payload) };
        } catch (error) {
          return { error: plainError(error) };
        }
      }),
    );
  }

  /** Whether `key` is the members' key (constant time). */
  isMemberKey(key: string | string[] | undefined): boolean {
    if (typeof key !== 'string') return false;
    const given = Buffer.from(key);
    const expected = Buffer.from(this.memberKey);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  private enqueue(owner: GatewayMember, call: PendingCall): void {
    let queue = this.pending.get(owner.memberId);
    if (!queue) this.pending.set(owner.memberId, (queue = { owner, calls: [] }));
    queue.calls.push(call);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // The commands of one event-loop turn go together: one round trip for all of them.
    setImmediate(() => {
      this.flushScheduled = false;
      for (const { owner: to, calls } of this.pending.values()) {
        for (let from = 0; from < calls.length; from += MAX_BATCH) void this.send(to, calls.slice(from, from + MAX_BATCH));
      }
      this.pending.clear();
    });
  }

  private async send(owner: GatewayMember, calls: PendingCall[]): Promise<void> {
    try {
      const body = { calls: calls.map(({ kind, payload }) => ({ kind, payload })) };
      const answer = await postJson(this.agent, new URL(COMMANDS_PATH, owner.url), { [MEMBER_KEY_HEADER]: this.memberKey }, body);
      // Refused before the route ran (the owner is closing): nothing was done there.
      if (answer.status === 503) throw Object.assign(new Error('the owner is not taking commands (503)'), { code: 'OWNER_NOT_READY' });
      if (answer.status !== 200) throw new Error(`the owner answered ${answer.status}: ${answer.body.slice(0, 200)}`);
      const { results } = JSON.parse(answer.body) as { results: CallResult[] };
      if (results.length !== calls.length) throw new Error(`the owner answered ${results.length} of ${calls.length} commands`);
      calls.forEach((call, index) => call.resolve({ ran: results[index]! }));
    } catch (error) {
      for (const call of calls) call.resolve({ failed: error });
    }
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

/**
 * Adds the route that takes other members' commands, and the hook that names in each answer the gateway that ran
 * its routed command.
 */
export function registerStreamOwnerRouting(app: FastifyInstance, owners: StreamOwners): void {
  // The command context tells the request who ran its routed command (commandContext's `ranBy`): no async
  // context is needed, whose promise hooks every request of the process would pay for.
  app.decorateRequest('commandRanBy', undefined);
  app.addHook('onSend', (request, reply, payload, done) => {
    if (request.commandRanBy !== undefined) reply.header(HANDLED_BY_HEADER, request.commandRanBy);
    done(null, payload);
  });

  app.withTypeProvider<ZodTypeProvider>().post(
    COMMANDS_PATH,
    {
      // Public to the access control, which knows clients only: the member key is checked instead, before the body
      // is read. Not rate limited: each command was counted against its client where it arrived.
      config: { access: access.public, rateLimit: false },
      onRequest: async (request) => {
        if (!owners.isMemberKey(request.headers[MEMBER_KEY_HEADER])) throw new HttpError('forbidden', 'only gateway members may send commands here');
      },
      bodyLimit: 64 * 1024 * 1024,
      schema: {
        body: z.object({ calls: z.array(z.object({ kind: z.string().max(100), payload: z.unknown() })).max(MAX_BATCH) }),
        response: { 200: z.object({ results: z.array(z.union([z.object({ value: z.unknown() }), z.object({ error: z.record(z.string(), z.unknown()) })])) }) },
      },
    },
    async (request, reply) => {
      const results = await owners.runSent(request.body.calls);
      // Sent as text: checking every outcome against the schema again would cost the owner, the one gateway all of
      // this escrow's load meets, more than the command itself.
      return (reply as FastifyReply).header('content-type', 'application/json; charset=utf-8').send(JSON.stringify({ results }));
    },
  );
}


type CallResult = { value: unknown } | { error: Record<string, unknown> };
type CallAnswer = { ran: CallResult } | { failed: unknown };
type PendingCall = { kind: string; payload: unknown; resolve: (answer: CallAnswer) => void };

/** An error as JSON: its name, message and own fields (a domain error's code and details, a conflict's stream). */
function plainError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  return { ...Object.fromEntries(Object.entries(error)), name: error.name, message: error.message };
}

/** The error a member's answer describes, as the class the error handler knows (its answer is then the same). */
function errorFrom(plain: Record<string, unknown>): Error {
  const message = String(plain.message ?? 'error');
  switch (plain.name) {
    case 'DomainError':
      return new DomainError(String(plain.code), message, (plain.details ?? {}) as Record<string, unknown>);
    case 'WrongExpectedRevisionError':
      return Object.assign(new WrongExpectedRevisionError(String(plain.streamId), plain.expected as ExpectedRevision, plain.actual as number | null), { message });
    case 'DuplicateEventIdError':
      return Object.assign(new DuplicateEventIdError(String(plain.eventId), String(plain.streamId), String(plain.existingStreamId)), { message });
    case 'HttpError':
      return new HttpError(plain.code as ErrorCode, message, plain.issues as ErrorBody['issues']);
    default:
      // A database outage there is one here too: keep what renderError recognises it by.
      return Object.assign(new Error(message), plain);
  }
}

/** One POST of a JSON body over the keep-alive agent; the answer's status and text. */
function postJson(agent: http.Agent, url: URL, headers: Record<string, string>, body: unknown): Promise<{ status: number; body: string }> {
  const payload = Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const outgoing = http.request(url, { method: 'POST', agent, headers: { ...headers, 'content-type': 'application/json', 'content-length': payload.length } }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 502, body: text }));
      response.on('error', reject);
    });
    outgoing.on('error', reject);
    outgoing.end(payload);
  });
}
