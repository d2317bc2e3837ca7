// One contract suite for every EventStore adapter (PostgreSQL here, EventStoreDB wherever EVENTSTORE_URL is set).
// Each adapter's *.int.spec.ts calls eventStoreContract() with a factory for its own real server.
import type { EventStore } from '../../ports/event-store.ts';

export type EventStoreFixture = {
  store: EventStore;
  /** A second, independent store instance on the same backend: stands in for another process. */
  openAnother(): Promise<EventStore>;
  teardown(): Promise<void>;
};

export function eventStoreContract(adapterName: string, setup: () => Promise<EventStoreFixture>): void {
  // Filled in with the suite: describe(`${adapterName} event store contract`, …)
  void adapterName;
  void setup;
}
