// Remembers the first answer to each Idempotency-Key, so a retried command is answered, not run again.

export type StoredResponse = { statusCode: number; body: string };

export type IdempotencyBegin =
  | { outcome: 'started' }
  | { outcome: 'replay'; response: StoredResponse }
  | { outcome: 'in_progress' }
  | { outcome: 'mismatch' };

export interface IdempotencyStore {
  /** Claims the key for this request, or says why not (already answered, running, or used by another request). */
  begin(key: string, requestHash: string): Promise<IdempotencyBegin>;
  complete(key: string, response: StoredResponse): Promise<void>;
  /** Forgets a claimed key whose request failed unexpectedly, so that a retry runs again. */
  release(key: string): Promise<void>;
}
