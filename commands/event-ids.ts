import { createHash, randomUUID } from 'node:crypto';

/**
 * A UUID (version 8, RFC 9562) derived from its parts: the same Idempotency-Key always yields the same
 * event ids, so a retried command is recognised by the event store even if its first answer was lost.
 */
export function deterministicUuid(...parts: string[]): string {
  const hash = createHash('sha256').update(parts.join('\u0000')).digest();
  hash[6] = (hash[6]! & 0x0f) | 0x80;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

export function newEventId(): string {
  return randomUUID();
}
