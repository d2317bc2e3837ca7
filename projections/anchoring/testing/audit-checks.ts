// Test support shared by the anchoring specs of each context: a gateway answering audit proofs over an audit
// testbed, `audit` as the CLI runs it, every event of a set checked against its proof (off chain and in the
// contract), and an event forged in the event store caught by `audit verify` and refused by the contract.
import type { FastifyInstance } from 'fastify';
import { expect } from 'vitest';
import { leafFieldsOf } from '../../../events-schema/leaf.ts';
import { runAudit } from '../../../gateways/cli/audit.ts';
import { readModelsOf } from '../../../gateways/composition/read-models.ts';
import { projections } from '../../../gateways/contexts/index.ts';
import { buildHttpApp } from '../../../gateways/http/app.ts';
import { migrate } from '../../../infra/db/database.ts';
import { idempotencyMigrations, PostgresIdempotencyStore } from '../../../infra/db/postgres-idempotency-store.ts';
import type { RecordedEvent } from '../../../ports/event-store.ts';
import { createAuditReader } from '../audit/audit-reader.ts';
import { proofBytes } from '../audit/batch-proofs.ts';
import { streamProofs, type StreamEventProof } from '../audit/stream-proofs.ts';
import type { VerifyReport } from '../audit/verify-log.ts';
import type { AuditTestbed } from './audit-testbed.ts';

/** The HTTP gateway over the testbed's event store, read models and audit reader, ready for `inject`. */
export async function startAuditGateway(testbed: AuditTestbed): Promise<FastifyInstance> {
  await migrate(testbed.db.knex, 'gateway', idempotencyMigrations);
  const app = await buildHttpApp({
    eventStore: testbed.eventStore,
    idempotency: new PostgresIdempotencyStore(testbed.db.pool),
    audit: createAuditReader({ db: testbed.db, chain: testbed.chain }),
    readModels: readModelsOf(testbed.db),
  });
  await app.ready();
  return app;
}

export type AuditRun = { code: number; report: VerifyReport; text: string };

/** `audit <args>` run twice, as `--json` (its exit code and log report) and as text. */
export async function runAuditCli(testbed: AuditTestbed, args: string[]): Promise<AuditRun> {
  let output = '';
  const code = await runAudit([...args, '--json'], { db: testbed.db, eventStore: testbed.eventStore, chain: testbed.chain, projections, write: (text) => (output += text) });
  let text = '';
  await runAudit(args, { db: testbed.db, eventStore: testbed.eventStore, chain: testbed.chain, projections, write: (chunk) => (text += chunk) });
  return { code, report: (JSON.parse(output) as { log: VerifyReport }).log, text };
}

/**
 * Every event of the streams of `events` is anchored, its proof verifies off chain and the contract accepts it,
 * while the same proof does not vouch for the neighbouring event of `log` (the whole log, by LSN). Returns how
 * many events were proven.
 */
export async function expectEveryEventProven(testbed: AuditTestbed, log: readonly RecordedEvent[], events: readonly RecordedEvent[]): Promise<number> {
  let proven = 0;
  for (const streamId of new Set(events.map((recorded) => recorded.streamId))) {
    const { events: proofs } = await streamProofs({ db: testbed.db, eventStore: testbed.eventStore, chain: testbed.chain, streamId });
    for (const proof of proofs) {
      expect(proof, `${streamId}@${proof.revision}`).toMatchObject({ status: 'anchored', verifiesOffChain: true });
      const recorded = log[proof.lsn - 1]!;
      expect(recorded.lsn).toBe(proof.lsn);
      expect(await testbed.chain.verifyEvent({ batchId: proof.batchId!, ...leafFieldsOf(recorded), proof: proofBytes(proof.proof!) })).toBe(true);
      // The same proof does not vouch for another event.
      const neighbour = log[proof.lsn === 1 ? 1 : proof.lsn - 2]!;
      expect(await testbed.chain.verifyEvent({ batchId: proof.batchId!, ...leafFieldsOf(neighbour), proof: proofBytes(proof.proof!) })).toBe(false);
      proven += 1;
    }
  }
  return proven;
}

/** `audit verify` passes over the whole log, every event checked and anchored. */
export async function expectAuditVerifyPasses(testbed: AuditTestbed): Promise<void> {
  const head = await testbed.eventStore.headLsn();
  const { code, report, text } = await runAuditCli(testbed, ['verify']);
  expect(code).toBe(0);
  expect(report).toMatchObject({ ok: true, eventsChecked: head, headLsn: head, anchoredToLsn: head, mismatches: [] });
  expect(text).toMatch(new RegExp(`^OK: ${head} events checked`, 'm'));
}

export type ForgedEvent = { tampered: RecordedEvent; proof: StreamEventProof };

/**
 * With `original`'s data replaced by `forged` in the event store: `audit verify` fails, naming it alone as
 * tampered by its LSN, its stream proof no longer verifies off chain and the contract refuses the forged event
 * with the proof of the anchored one. `more` checks further with the forged event and its proof. The original
 * data is put back afterwards, and `audit verify` passes again.
 */
export async function expectForgeryCaught(testbed: AuditTestbed, original: RecordedEvent, forged: Uint8Array, more: (forgery: ForgedEvent) => Promise<void> = async () => {}): Promise<void> {
  await testbed.db.pool.query('update event_log set data = $1 where lsn = $2', [forged, original.lsn]);
  try {
    const { code, report, text } = await runAuditCli(testbed, ['verify']);
    expect(code).toBe(1);
    expect(report.ok).toBe(false);
    expect(report.mismatches).toEqual([expect.objectContaining({ kind: 'tampered', lsns: [original.lsn] })]);
    expect(text).toMatch(/^FAILED: .* 1 mismatches/m);
    expect(text).toContain(`the leaves of LSN ${original.lsn} differ from the stored ones`);
    // The contract refuses the forged event with the proof of the one it anchored.
    const [tampered] = await testbed.eventStore.readAll({ fromLsn: original.lsn, limit: 1 });
    const { events } = await streamProofs({ db: testbed.db, eventStore: testbed.eventStore, chain: testbed.chain, streamId: original.streamId });
    const proof = events.find((e) => e.lsn === original.lsn)!;
    expect(proof.verifiesOffChain).toBe(false);
    expect(await testbed.chain.verifyEvent({ batchId: proof.batchId!, ...leafFieldsOf(tampered!), proof: proofBytes(proof.proof!) })).toBe(false);
    await more({ tampered: tampered!, proof });
  } finally {
    await testbed.db.pool.query('update event_log set data = $1 where lsn = $2', [Buffer.from(original.data), original.lsn]);
  }
  expect((await runAuditCli(testbed, ['verify'])).code).toBe(0);
}
