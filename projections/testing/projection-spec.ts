// Given/When/Then for projections against a real PostgreSQL: given events already applied, when these
// events are applied, then the tables hold this (or these events are parked).
//
//   const testbed = await createProjectionTestbed();            // beforeAll; testbed.close() in afterAll
//   await projectionSpec(resultsProjection, testbed)
//     .given({ streamId: 'decision-d1', event: decisionCreated('d1') })
//     .when({ streamId: 'ballot-d1:v1', event: voteCast('d1', 'v1') })
//     .then(async (trx) => expect(await trx('decision_tallies').select()).toEqual([...]));
//
// Events are appended to the testbed's event store (so they are encoded, recorded and decoded for real), then
// the given events are applied as one batch and the when events as another, through the runtime. Each
// scenario runs in its own schema (the projection under a numbered name), dropped afterwards.
//
// Streams on different Kafka partitions reach a projection in any order. To apply the when events out of
// LSN order, say how they are delivered: `.when(close, lateVote).deliveredAs([1], [0])` appends the close,
// then the vote, and applies the vote first, each batch from a partition of its own.
import { expect } from 'vitest';
import type { RecordedEvent } from '../../ports/event-store.ts';
import type { SqlTransaction } from '../../ports/sql.ts';
import type { Projection } from '../projection.ts';
import type { ParkedEvent } from '../runtime/parking.ts';
import type { ProjectionTestbed, StreamEvent } from './projection-testbed.ts';

export type ScenarioOutcome = { recorded: RecordedEvent[]; parked: ParkedEvent[] };
export type ExpectedParked = { streamId: string; type?: string; error?: string | RegExp };

let scenarios = 0;

export function projectionSpec(projection: Projection, testbed: ProjectionTestbed) {
  /** `deliveries`: batches of indices into `when`, applied in that order, batch i from partition i + 1. */
  const scenario = (given: StreamEvent[], when: StreamEvent[], deliveries?: number[][]) => {
    const run = async (inspect: (instance: Projection, outcome: ScenarioOutcome) => Promise<void>) => {
      const instance: Projection = { ...projection, name: `${projection.name}_s${++scenarios}` };
      try {
        const recordedGiven = await testbed.append(given);
        const recordedWhen = await testbed.append(when);
        if (recordedGiven.length > 0) await testbed.applyBatch(instance, recordedGiven);
        if (deliveries) {
          for (const [i, indices] of deliveries.entries()) {
            // Within a partition, events come in LSN order.
            const batch = indices.map((index) => recordedWhen[index]!).sort((a, b) => a.lsn - b.lsn);
            await testbed.applyBatch(instance, batch, i + 1);
          }
        } else if (recordedWhen.length > 0) {
          await testbed.applyBatch(instance, recordedWhen);
        }
        await inspect(instance, { recorded: [...recordedGiven, ...recordedWhen], parked: await testbed.parked(instance) });
      } finally {
        await testbed.dropProjection(instance);
      }
    };
    return {
      /** Asserts on the tables (and, if wanted, on what was parked). */
      then(assert: (trx: SqlTransaction, outcome: ScenarioOutcome) => Promise<void>): Promise<void> {
        return run((instance, outcome) => testbed.query(instance, (trx) => assert(trx, outcome)));
      },
      /** Asserts that exactly these events were parked, in LSN order. */
      thenParked(expected: ExpectedParked[]): Promise<void> {
        return run(async (_, { parked }) => {
          expect(parked.map((p) => ({ streamId: p.streamId, type: p.type, error: p.error }))).toEqual(
            expected.map((e) => ({
              streamId: e.streamId,
              type: e.type ?? expect.any(String),
              error: e.error === undefined ? expect.any(String) : typeof e.error === 'string' ? expect.stringContaining(e.error) : expect.stringMatching(e.error),
            })),
          );
        });
      },
    };
  };
  return {
    given(...given: StreamEvent[]) {
      return {
        ...scenario(given, []),
        when: (...when: StreamEvent[]) => ({
          ...scenario(given, when),
          /** Applies the when events as these batches (indices into them), in this order, each from its own partition. */
          deliveredAs: (...deliveries: number[][]) => {
            const delivered = deliveries.flat().sort((a, b) => a - b);
            if (delivered.length !== when.length || delivered.some((index, i) => index !== i)) {
              throw new Error(`deliveredAs must deliver each of the ${when.length} when events exactly once, got ${JSON.stringify(deliveries)}`);
            }
            return scenario(given, when, deliveries);
          },
        }),
      };
    },
  };
}
