// Test support for audits: a real PostgreSQL event store (projection testbed), a real anvil with a freshly
// deployed EventAnchor, governance traffic, and anchoring the short way (anchor-directly.ts).
import { openAnchorChain } from '../../../infra/chain/index.ts';
import { startAnvil, type Anvil } from '../../../infra/local/anvil.ts';
import type { AnchorChain, AnchoredBatch } from '../../../ports/anchor-chain.ts';
import type { RecordedEvent } from '../../../ports/event-store.ts';
import { decisionCreated, voteCast } from '../../testing/governance-events.ts';
import { createProjectionTestbed, type ProjectionTestbed } from '../../testing/projection-testbed.ts';
import { anchorDirectly, type AnchorDirectlyOptions } from './anchor-directly.ts';

export type AuditTestbed = ProjectionTestbed & {
  anvil: Anvil;
  chain: AnchorChain;
  /** A decision and `voters` votes on it, each ballot its own stream (as the command side writes them). */
  appendDecision(decisionId: string, voters: number): Promise<RecordedEvent[]>;
  anchor(options: Omit<AnchorDirectlyOptions, 'db' | 'eventStore' | 'chain'>): Promise<AnchoredBatch[]>;
};

export async function createAuditTestbed(): Promise<AuditTestbed> {
  const testbed = await createProjectionTestbed();
  let anvil: Anvil | undefined;
  try {
    anvil = await startAnvil();
    const chain = await openAnchorChain({ rpcUrl: anvil.rpcUrl, privateKey: anvil.devPrivateKeys[0]!, db: testbed.db });
    const started = anvil;
    return {
      ...testbed,
      anvil: started,
      chain,
      appendDecision(decisionId, voters) {
        return testbed.append([
          { streamId: `decision-${decisionId}`, event: decisionCreated(decisionId) },
          ...Array.from({ length: voters }, (_, i) => ({ streamId: `ballot-${decisionId}:voter-${i}`, event: voteCast(decisionId, `voter-${i}`) })),
        ]);
      },
      anchor: (options) => anchorDirectly({ db: testbed.db, eventStore: testbed.eventStore, chain, ...options }),
      async close() {
        await chain.close();
        await started.stop();
        await testbed.close();
      },
    };
  } catch (error) {
    await anvil?.stop();
    await testbed.close();
    throw error;
  }
}
