// What a command learns from its HTTP request: who asked (the verified actor, never a header), in which
// trace, under which correlation.
import type { FastifyRequest } from 'fastify';
import type { CommandContext } from '../../commands/command-core.ts';
import type { EventMetadata } from '../../ports/event-store.ts';

const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export function commandContext(request: FastifyRequest): CommandContext {
  const metadata: EventMetadata = {
    correlationId: header(request, 'x-correlation-id') ?? request.id,
    causationId: request.id,
  };
  const actor = request.actor;
  if (actor) {
    metadata.actor = actor.subject;
    if (actor.keyId) metadata.keyId = actor.keyId;
  }
  const traceparent = header(request, 'traceparent');
  if (traceparent && TRACEPARENT.test(traceparent)) {
    metadata.traceparent = traceparent;
    const tracestate = header(request, 'tracestate');
    if (tracestate) metadata.tracestate = tracestate;
  }
  return { metadata, ...(request.idempotency ? { idempotencyKey: request.idempotency.commandKey } : {}), ...(actor ? { actor } : {}) };
}
