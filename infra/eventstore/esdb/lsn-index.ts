// Dense LSNs over EventStoreDB's sparse $all (docs/architecture.md, invariant 2).
//
// $all positions are byte offsets in the transaction file: ordered, stable, but sparse, and $all also
// carries system events. Proofline numbers the *log events* of $all densely instead: LSN k is the k-th
// event of $all, in $all order, that passes `isLogEvent` (not a system stream or type, i.e. not starting
// with `$`, and inside the store's stream prefix when it has one). The numbering is a pure function of
// $all, so every process that reads $all from the start assigns the same LSN to the same event.
// It stays stable as long as no log event ever leaves $all: never delete, truncate ($maxAge/$maxCount)
// or scavenge Proofline streams. The relay persists the LSN ↔ position mapping with its checkpoint
// (RecordedEvent.logPosition): a relay-only process resumes its numbering from that anchor instead of
// reading $all from the start, and a process that did number from the start compares the two, which
// reveals such a removal.
//
// This module is the pure part: no I/O. `NumberingCursor` numbers a run of $all events that starts at a
// known anchor; `LsnIndex` is one process's memory of the numbering so far:
//   - an anchor every `checkpointEvery` LSNs (the $all position just before that LSN), so reading LSN k
//     never starts more than `checkpointEvery` log events before k;
//   - the exact positions of the last `tailSize` LSNs (live readers and fresh appends land there);
//   - event id → LSN for every numbered event: append results, idempotency checks and stream reads need
//     it (about 100 bytes per event; the price of EventStoreDB having no global event-id index);
//   - waiters: "tell me when event id X is numbered" / "when the head reaches LSN k".

export type LogPosition = { readonly commit: bigint; readonly prepare: bigint };

/** Which part of $all a store owns. Without a prefix: every non-system stream. */
export type LogFilter = {
  /**
   * Physical EventStoreDB stream-name prefix of this store's streams. Port stream ids are stored as
   * `${streamPrefix}${streamId}` and the prefix is stripped on the way out, so callers never see it.
   * Each prefix is an independent log with its own LSN 1, 2, 3, …: one fixture per test on a shared
   * server, or one tenant per prefix on a multi-tenant server.
   */
  readonly streamPrefix?: string;
};

/** The fields of an $all event that numbering looks at. `streamId` is the physical stream name. */
export type LogEventRef = {
  readonly eventId: string;
  readonly streamId: string;
  readonly type: string;
  readonly position: LogPosition;
};

/** "The log events after `position` (exclusive) start at LSN `lsn + 1`." `position: null` is the start of $all. */
export type Anchor = { readonly lsn: number; readonly position: LogPosition | null };

export const START_ANCHOR: Anchor = { lsn: 0, position: null };

/** `C:<commit>/P:<prepare>`, EventStoreDB's own text form of an $all position. */
export function formatLogPosition(position: LogPosition): string {
  return `C:${position.commit}/P:${position.prepare}`;
}

export function parseLogPosition(text: string): LogPosition {
  const match = /^C:(\d+)\/P:(\d+)$/.exec(text);
  if (!match) throw new RangeError(`not an EventStoreDB $all position (C:<commit>/P:<prepare>): ${JSON.stringify(text)}`);
  return { commit: BigInt(match[1]!), prepare: BigInt(match[2]!) };
}

export function comparePositions(a: LogPosition, b: LogPosition): number {
  if (a.commit !== b.commit) return a.commit < b.commit ? -1 : 1;
  if (a.prepare !== b.prepare) return a.prepare < b.prepare ? -1 : 1;
  return 0;
}

export function isSystemName(name: string): boolean {
  return name.startsWith('$');
}

/** The numbering predicate: the one definition of which $all events get an LSN. */
export function isLogEvent(streamId: string, type: string, filter: LogFilter): boolean {
  if (isSystemName(streamId) || isSystemName(type)) return false;
  return filter.streamPrefix === undefined || streamId.startsWith(filter.streamPrefix);
}

/** Numbers a forward run of $all events that begins right after an anchor. */
export class NumberingCursor {
  #lsn: number;
  #position: LogPosition | null;

  constructor(
    anchor: Anchor,
    private readonly filter: LogFilter,
  ) {
    this.#lsn = anchor.lsn;
    this.#position = anchor.position;
  }

  /** LSN of the last log event numbered (the anchor's LSN before any). */
  get lsn(): number {
    return this.#lsn;
  }

  /** Position of the last $all event seen, log event or not; where the next read or subscription resumes. */
  get position(): LogPosition | null {
    return this.#position;
  }

  /**
   * The LSN of this $all event, or null when it is not a log event or not after the last one seen
   * (a read that starts *at* a position returns that event again; a resubscription may redeliver).
   */
  next(event: Pick<LogEventRef, 'streamId' | 'type' | 'position'>): number | null {
    if (this.#position !== null && comparePositions(event.position, this.#position) <= 0) return null;
    this.#position = event.position;
    if (!isLogEvent(event.streamId, event.type, this.filter)) return null;
    this.#lsn += 1;
    return this.#lsn;
  }
}

export class NumberingTimeoutError extends Error {
  override readonly name = 'NumberingTimeoutError';
  constructor(
    readonly eventId: string,
    readonly timeoutMs: number,
    readonly headLsn: number,
  ) {
    super(`event ${eventId} was not numbered within ${timeoutMs} ms (LSN index head is ${headLsn})`);
  }
}

type IdWaiter = { resolve(lsn: number): void; reject(error: Error): void; timer: NodeJS.Timeout };
type LsnWaiter = { lsn: number; resolve(reached: boolean): void };

export type LsnIndexOptions = {
  /** Keep an anchor every this many LSNs (default 256). */
  checkpointEvery?: number;
  /** Keep the exact position of this many most recent LSNs (default 4096). */
  tailSize?: number;
  /**
   * Number from this anchor instead of the start of $all (a stored relay checkpoint: LSN k and the
   * position of its event). LSNs up to the anchor's are then unknown to this index: reading them throws
   * and their event ids are not indexed, so only a process that reads forward from there (the relay) may use it.
   */
  resumeFrom?: Anchor;
};

export class LsnIndex {
  readonly #cursor: NumberingCursor;
  readonly #checkpointEvery: number;
  readonly #tailSize: number;
  /** checkpoints.get(k) anchors LSN k·N + 1: { lsn: k·N, position: the $all event seen just before it }. */
  readonly #checkpoints = new Map<number, Anchor>();
  readonly #resumedFrom: Anchor;
  /** Ring buffer: tail[lsn % tailSize] = position of that LSN's event. */
  readonly #tail: LogPosition[] = [];
  readonly #lsnByEventId = new Map<string, number>();
  readonly #idWaiters = new Map<string, IdWaiter[]>();
  #lsnWaiters: LsnWaiter[] = [];
  #closedWith: Error | null = null;

  constructor(
    readonly filter: LogFilter,
    options: LsnIndexOptions = {},
  ) {
    this.#checkpointEvery = positiveInteger(options.checkpointEvery ?? 256, 'checkpointEvery');
    this.#tailSize = positiveInteger(options.tailSize ?? 4096, 'tailSize');
    this.#resumedFrom = checkedAnchor(options.resumeFrom ?? START_ANCHOR);
    this.#cursor = new NumberingCursor(this.#resumedFrom, filter);
  }

  /** The anchor numbering started from: the start of $all unless `resumeFrom` was given. */
  get resumedFrom(): Anchor {
    return this.#resumedFrom;
  }

  /** LSN of the last numbered event (0 before any). */
  get headLsn(): number {
    return this.#cursor.lsn;
  }

  /** Position of the last $all event this index has observed: where its feed resumes (exclusive). */
  get observedPosition(): LogPosition | null {
    return this.#cursor.position;
  }

  /** Feeds one $all event, in $all order. Returns its LSN, or null if it is not a (new) log event. */
  observe(event: LogEventRef): number | null {
    if (this.#closedWith) return null;
    const before = this.#cursor.position;
    const lsn = this.#cursor.next(event);
    if (lsn === null) return null;
    if ((lsn - 1) % this.#checkpointEvery === 0) this.#checkpoints.set((lsn - 1) / this.#checkpointEvery, { lsn: lsn - 1, position: before });
    this.#tail[lsn % this.#tailSize] = event.position;
    const eventId = event.eventId.toLowerCase();
    // The first occurrence wins: a duplicated id (only possible through races EventStoreDB allows) keeps its first LSN.
    if (!this.#lsnByEventId.has(eventId)) this.#lsnByEventId.set(eventId, lsn);
    this.#notify(eventId, lsn);
    return lsn;
  }

  /** The best known anchor for reading LSN `lsn`: the anchor's LSN is < lsn and as close to it as the index allows. */
  anchorFor(lsn: number): Anchor {
    if (!Number.isSafeInteger(lsn) || lsn < 1) throw new RangeError(`LSN must be an integer >= 1, got ${lsn}`);
    const before = lsn - 1;
    const head = this.headLsn;
    if (before >= head) return { lsn: head, position: this.#cursor.position };
    if (before >= 1 && before > head - this.#tailSize) {
      const position = this.#tail[before % this.#tailSize];
      if (position) return { lsn: before, position };
    }
    if (before < this.#resumedFrom.lsn) {
      throw new RangeError(`LSN ${lsn} comes before LSN ${this.#resumedFrom.lsn + 1}, where this index resumed numbering; it cannot be read here`);
    }
    const checkpoint = this.#checkpoints.get(Math.floor(before / this.#checkpointEvery));
    // Between the resume anchor and the first checkpoint after it, the anchor itself is the closest.
    if (checkpoint && checkpoint.lsn >= this.#resumedFrom.lsn) return checkpoint;
    if (Math.floor(before / this.#checkpointEvery) === Math.floor(this.#resumedFrom.lsn / this.#checkpointEvery)) return this.#resumedFrom;
    throw new Error(`LSN index has no checkpoint for LSN ${lsn} (head ${head}): index state is inconsistent`);
  }

  /** Position of a numbered LSN's event when it is still in the tail (for tests and diagnostics). */
  positionOf(lsn: number): LogPosition | undefined {
    if (lsn < 1 || lsn > this.headLsn || lsn <= this.headLsn - this.#tailSize) return undefined;
    return this.#tail[lsn % this.#tailSize];
  }

  lsnOf(eventId: string): number | undefined {
    return this.#lsnByEventId.get(eventId.toLowerCase());
  }

  /** Resolves with the event's LSN once it is numbered; rejects after `timeoutMs` or when the index closes. */
  waitForEventId(eventId: string, timeoutMs: number): Promise<number> {
    const id = eventId.toLowerCase();
    const known = this.#lsnByEventId.get(id);
    if (known !== undefined) return Promise.resolve(known);
    if (this.#closedWith) return Promise.reject(this.#closedWith);
    return new Promise<number>((resolve, reject) => {
      const waiter: IdWaiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          this.#removeIdWaiter(id, waiter);
          reject(new NumberingTimeoutError(id, timeoutMs, this.headLsn));
        }, timeoutMs),
      };
      const waiters = this.#idWaiters.get(id);
      if (waiters) waiters.push(waiter);
      else this.#idWaiters.set(id, [waiter]);
    });
  }

  /** Resolves true once the head reaches `lsn`; false if the signal aborts or the index closes first. */
  waitForLsn(lsn: number, signal?: AbortSignal): Promise<boolean> {
    if (this.headLsn >= lsn) return Promise.resolve(true);
    if (this.#closedWith || signal?.aborted) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const onAbort = () => {
        this.#lsnWaiters = this.#lsnWaiters.filter((w) => w !== waiter);
        resolve(false);
      };
      const waiter: LsnWaiter = {
        lsn,
        resolve: (reached) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(reached);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#lsnWaiters.push(waiter);
    });
  }

  /** Stops numbering; pending id waiters reject with `reason`, LSN waiters resolve false. */
  close(reason: Error): void {
    if (this.#closedWith) return;
    this.#closedWith = reason;
    for (const waiters of this.#idWaiters.values()) {
      for (const waiter of waiters) {
        clearTimeout(waiter.timer);
        waiter.reject(reason);
      }
    }
    this.#idWaiters.clear();
    const lsnWaiters = this.#lsnWaiters;
    this.#lsnWaiters = [];
    for (const waiter of lsnWaiters) waiter.resolve(false);
  }

  #notify(eventId: string, lsn: number): void {
    const waiters = this.#idWaiters.get(eventId);
    if (waiters) {
      this.#idWaiters.delete(eventId);
      for (const waiter of waiters) {
        clearTimeout(waiter.timer);
        waiter.resolve(lsn);
      }
    }
    if (this.#lsnWaiters.length > 0) {
      const due = this.#lsnWaiters.filter((w) => w.lsn <= lsn);
      if (due.length > 0) {
        this.#lsnWaiters = this.#lsnWaiters.filter((w) => w.lsn > lsn);
        for (const waiter of due) waiter.resolve(true);
      }
    }
  }

  #removeIdWaiter(eventId: string, waiter: IdWaiter): void {
    const waiters = this.#idWaiters.get(eventId)?.filter((w) => w !== waiter);
    if (waiters && waiters.length > 0) this.#idWaiters.set(eventId, waiters);
    else this.#idWaiters.delete(eventId);
  }
}

function checkedAnchor(anchor: Anchor): Anchor {
  if (!Number.isSafeInteger(anchor.lsn) || anchor.lsn < 0) throw new RangeError(`anchor LSN must be an integer >= 0, got ${anchor.lsn}`);
  if ((anchor.lsn === 0) !== (anchor.position === null)) {
    throw new RangeError(`an anchor has a position exactly when its LSN is above 0 (got LSN ${anchor.lsn})`);
  }
  return anchor;
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  return value;
}
