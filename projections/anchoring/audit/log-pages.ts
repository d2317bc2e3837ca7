// The whole log, page by page, with the next page already on its way while the current one is hashed.
//
// A store's readAll stops before a gap (ports/event-store.ts): an empty page below `untilLsn` means the LSN
// asked for is absent. The reader reports it and probes the next LSN, one at a time, so that every absent
// LSN is named and no event after a gap is skipped.
import type { EventStore, RecordedEvent } from '../../../ports/event-store.ts';

export type LogPage = { kind: 'events'; events: RecordedEvent[] } | { kind: 'absent'; lsn: number };

export type LogPageOptions = {
  pageSize: number;
  /** Reading goes on through gaps up to here (the head, the chain's last anchored LSN), and stops at the first empty read after it. */
  untilLsn: number;
  /** Time spent waiting for the store, in ms (the part of reading not hidden behind hashing). */
  onWait?: (ms: number) => void;
};

export async function* logPages(eventStore: Pick<EventStore, 'readAll'>, options: LogPageOptions): AsyncGenerator<LogPage> {
  const read = (fromLsn: number) => {
    const page = eventStore.readAll({ fromLsn, limit: options.pageSize });
    page.catch(() => {}); // awaited below; not unhandled if the caller stops iterating first
    return page;
  };
  let next = 1;
  let pending = read(next);
  for (;;) {
    const started = performance.now();
    const events = await pending;
    options.onWait?.(performance.now() - started);
    const last = events.at(-1);
    if (!last) {
      if (next > options.untilLsn) return;
      yield { kind: 'absent', lsn: next };
      next += 1;
      pending = read(next);
      continue;
    }
    // A page entirely below `next` (a store repeating itself) must not loop forever: move past it, and
    // the LSN skipped that way is reported as missing by the caller.
    next = Math.max(last.lsn + 1, next + 1);
    pending = read(next);
    yield { kind: 'events', events };
  }
}
