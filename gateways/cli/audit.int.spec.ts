import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeEvent } from '../../events-schema/index.ts';
import { startProofline } from '../../infra/testing/process.ts';
import { projections } from '../contexts/index.ts';
import { createAuditTestbed, type AuditTestbed } from '../../projections/anchoring/testing/audit-testbed.ts';
import { voteCast } from '../../projections/testing/governance-events.ts';
import { runAudit } from './audit.ts';

let testbed: AuditTestbed;

beforeAll(async () => {
  testbed = await createAuditTestbed();
  await testbed.appendDecision('dune', 6); // LSN 1..7
  await testbed.anchor({ batchSize: 4, toLsn: 5 }); // batches 1..4, 5..5; LSN 6, 7 pending
});
afterAll(async () => testbed?.close());

async function audit(args: string[]): Promise<{ code: number; output: string }> {
  let output = '';
  const code = await runAudit(args, { db: testbed.db, eventStore: testbed.eventStore, chain: testbed.chain, projections, write: (text) => (output += text) });
  return { code, output };
}

describe('proofline audit', () => {
  it('verify: a summary line, and exit 0 only when the unanchored tail is allowed', async () => {
    const strict = await audit(['verify']);
    expect(strict.code).toBe(1);
    expect(strict.output).toMatch(/^ {2}unanchored LSN 6\.\.7: LSNs 6\.\.7 are not anchored yet$/m);
    expect(strict.output).toMatch(/^FAILED: 7 events checked, 2 batches \(anchored to LSN 5\), 1 mismatches, \d+ events\/s$/m);

    const live = await audit(['verify', '--allow-unanchored-tail']);
    expect(live.code).toBe(0);
    expect(live.output).toMatch(/^OK: 7 events checked, 2 batches \(anchored to LSN 5\), 0 mismatches/m);
  });

  it('stream: each event with its leaf, batch, root and a proof that verifies off-chain, or pending', async () => {
    const { code, output } = await audit(['stream', 'decision-dune']);
    expect(code).toBe(0);
    expect(output).toContain('LSN 1  revision 0  DecisionCreated');
    expect(output).toMatch(/"decisionId":"dune"/);
    expect(output).toMatch(/batch {2}1 {2}root 0x[0-9a-f]{64}/);
    expect(output).toContain("verifies: the proof leads to the chain's root");

    const pending = await audit(['stream', 'ballot-dune:voter-5', '--json']); // LSN 7
    expect(JSON.parse(pending.output).events).toEqual([
      expect.objectContaining({ lsn: 7, status: 'pending', proof: null, verifiesOffChain: null, data: expect.objectContaining({ voterId: 'voter-5' }) }),
    ]);
  });

  it('stream: a payload changed in the event store no longer verifies', async () => {
    await testbed.db.pool.query('update event_log set data = $1 where lsn = 3', [encodeEvent(voteCast('dune', 'voter-1', { option: 'no' }))]);
    try {
      const { code, output } = await audit(['stream', 'ballot-dune:voter-1', '--json']);
      expect(code).toBe(1);
      expect(JSON.parse(output).events).toEqual([expect.objectContaining({ lsn: 3, batchId: 1, verifiesOffChain: false, data: expect.objectContaining({ option: 'no' }) })]);
      const verify = await audit(['verify', '--json', '--allow-unanchored-tail']);
      expect(verify.code).toBe(1);
      expect(JSON.parse(verify.output).log.mismatches).toEqual([
        expect.objectContaining({ kind: 'tampered', lsns: [3], batchId: 1 }),
        expect.objectContaining({ kind: 'unanchored', fromLsn: 6, toLsn: 7 }),
      ]);
    } finally {
      await testbed.db.pool.query('update event_log set data = $1 where lsn = 3', [encodeEvent(voteCast('dune', 'voter-1'))]);
    }
  });

  it('runs as `proofline audit verify` with the contract remembered in the database', async () => {
    const child = startProofline(['audit', 'verify', '--allow-unanchored-tail'], {
      DATABASE_URL: testbed.db.url,
      CHAIN_RPC_URL: testbed.anvil.rpcUrl,
      CHAIN_PRIVATE_KEY: undefined,
      ANCHOR_CONTRACT: undefined,
      EVENTSTORE_URL: undefined,
      LOG_LEVEL: 'warn',
    });
    const [exitCode] = (await once(child.child, 'exit')) as [number | null];
    expect(child.output()).toMatch(/^OK: 7 events checked, 2 batches/m);
    expect(exitCode).toBe(0);
  });
});
