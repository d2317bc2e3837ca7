// What a command learns from its HTTP request: who asked (the verified actor, never a header), in which
// trace, under which correlation. A client's header is stored with the events only when it is well formed
// and bounded; otherwise it is dropped (trace context) or replaced by the request id (correlation).
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyRequest } from 'fastify';
import type { CommandContext } from '../../commands/command-core.ts';
import type { EventMetadata } from '../../ports/event-store.ts';

/** W3C Trace Context, version 00's layout: version, trace-id, parent-id, flags, in lower-case hex. */
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/;
/** One tracestate list member: a key (simple or tenant@system) and a value of printable ASCII but `,` and `=`, not ending in a space. */
const TRACESTATE_MEMBER = /^[a-z0-9][a-z0-9_\-*/]{0,240}(@[a-z][a-z0-9_\-*/]{0,13})?=[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/;
const TRACESTATE_MAX_MEMBERS = 32;
const TRACESTATE_MAX_LENGTH = 512;
/** A correlation or request id a client may choose: visible ASCII, bounded. */
const CLIENT_ID = /^[\x21-\x7e]{1,128}$/;

/** The traceparent when it is valid W3C: version ff and all-zero trace or parent ids are refused. */
export function validTraceparent(value: string | undefined): string | undefined {
  const match = value === undefined ? null : TRACEPARENT.exec(value);
  if (!match) return undefined;
  const [, version, traceId, parentId] = match;
  if (version === 'ff' || /^0+$/.test(traceId!) || /^0+$/.test(parentId!)) return undefined;
  return value;
}

/** The tracestate when it is within W3C's bounds (512 characters, 32 members, each well formed); else none. */
export function validTracestate(value: string | undefined): string | undefined {
  if (value === undefined || value.length === 0 || value.length > TRACESTATE_MAX_LENGTH) return undefined;
  const members = value.split(',').map((member) => member.replace(/^[ \t]+|[ \t]+$/g, '')).filter((member) => member !== '');
  if (members.length === 0 || members.length > TRACESTATE_MAX_MEMBERS) return undefined;
  return members.every((member) => TRACESTATE_MEMBER.test(member)) ? value : undefined;
}

/** A client-chosen id (x-correlation-id, x-request-id) when it is 1 to 128 visible ASCII characters; else none. */
export function validClientId(value: string | undefined): string | undefined {
  return value !== undefined && CLIENT_ID.test(value) ? value : undefined;
}

/** The request id: the client's x-request-id when it is a valid client id, else a fresh one. */
export function requestIdOf(request: IncomingMessage): string {
  const given = request.headers['x-request-id'];
  return validClientId(Array.isArray(given) ? given[0] : given) ?? randomUUID();
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The member id of the gateway that ran this request's routed command (stream-owner-routing.ts). */
    commandRanBy?: string;
  }
}

export function commandContext(request: FastifyRequest): CommandContext {
  const metadata: EventMetadata = {
    correlationId: validClientId(header(request, 'x-correlation-id')) ?? request.id,
    causationId: request.id,
  };
  const actor = request.actor;
  if (actor) {
    metadata.actor = actor.subject;
    if (actor.keyId) metadata.keyId = actor.keyId;
  }
  const traceparent = validTraceparent(header(request, 'traceparent'));
  if (traceparent) {
    metadata.traceparent = traceparent;
    // Without a valid traceparent, W3C has the tracestate discarded.
    const tracestate = validTracestate(header(request, 'tracestate'));
    if (tracestate) metadata.tracestate = tracestate;
  }
  // The key the command core sees: derived from the client's scope and key (never the raw header).
  return {
    metadata,
    ...(request.idempotency ? { idempotencyKey: request.idempotency.commandKey } : {}),
    ...(actor ? { actor } : {}),
    ranBy: (memberId) => void (request.commandRanBy = memberId),
  };
}
