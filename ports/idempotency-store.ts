// Remembers the first answer to each Idempotency-Key, so a retried command is answered, not run again.
// Keys are scoped: each client (its verified subject or API key, or a pseudonym) has its own namespace.

export type StoredResponse = { statusCode: number; body: string };

/** A client's key: `scope` names the client, so two clients' equal keys are different keys. */
export type ScopedKey = Readonly<{ scope: string; key: string }>;

export type IdempotencyBegin =
  /**
   * The request holds the key and runs. `generation` changes whenever the key starts a new life (first use,
   * or use after it expired), never on a retry: ids derived from it are the same for every retry of one
   * request, and differ from those of an earlier, expired use of the key.
   */
  | { outcome: 'started'; generation: string }
  | { outcome: 'replay'; response: StoredResponse }
  | { outcome: 'in_progress' }
  | { outcome: 'mismatch' };

export interface IdempotencyStore {
  /** Claims the key for this request, or says why not (already answered, running, or used by another request). */
  begin(key: ScopedKey, requestHash: string): Promise<IdempotencyBegin>;
  complete(key: ScopedKey, response: StoredResponse): Promise<void>;
  /**
   * Frees a claimed key whose answer is not kept (the request failed unexpectedly, or its answer is too large
   * to store), so that a retry runs again; the retry keeps the generation, so the command core recognises
   * events the first run appended.
   */
  release(key: ScopedKey): Promise<void>;
}
