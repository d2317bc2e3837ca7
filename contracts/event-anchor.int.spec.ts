// EventAnchor on a real anvil, through the infra/chain adapter (what the anchorer and the auditors use) and, for
// roles and logs, through ethers directly.
import { randomBytes, randomUUID } from 'node:crypto';
import { Contract, ZeroAddress, id as keccakId } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeEvent } from '../events-schema/index.ts';
import { fromHex32, leafFieldsOf, leafOf, toHex, type Bytes32, type LeafFields } from '../events-schema/leaf.ts';
import {
  AnchorContractError,
  connectChain,
  createEventAnchorChain,
  decodeContractError,
  deployEventAnchor,
  eventAnchorInterface,
  type ChainConnection,
} from '../infra/chain/index.ts';
import { startAnvil, type Anvil } from '../infra/local/anvil.ts';
import { batchTree } from '../projections/anchoring/merkle-tree.ts';
import type { AnchorChain, AnchoredBatch } from '../ports/anchor-chain.ts';

const ANCHORER_ROLE = keccakId('ANCHORER_ROLE');

let anvil: Anvil;
let admin: ChainConnection;
let outsider: ChainConnection;
const chains: AnchorChain[] = [];

beforeAll(async () => {
  anvil = await startAnvil();
  admin = await connectChain({ rpcUrl: anvil.rpcUrl, privateKey: anvil.devPrivateKeys[0]! });
  outsider = await connectChain({ rpcUrl: anvil.rpcUrl, privateKey: anvil.devPrivateKeys[1]! });
});

afterAll(async () => {
  await Promise.all(chains.map((chain) => chain.close()));
  admin?.provider.destroy();
  outsider?.provider.destroy();
  await anvil?.stop();
});

/** A fresh EventAnchor whose admin and anchorer are dev account 0; `as` opens it for another signer. */
async function freshAnchor(): Promise<{ chain: AnchorChain; address: string; as(connection: ChainConnection): AnchorChain }> {
  const me = await admin.signer.getAddress();
  const { address } = await deployEventAnchor(admin.signer, { admin: me, anchorer: me });
  const as = (connection: ChainConnection) => {
    const chain = createEventAnchorChain({ ...connection, contractAddress: address });
    chains.push(chain);
    return chain;
  };
  return { chain: as(admin), address, as };
}

const root = (): Bytes32 => Uint8Array.from(randomBytes(32));

function batchOf(batchId: number, fromLsn: number, toLsn: number): AnchoredBatch {
  return { batchId, fromLsn, toLsn, root: root() };
}

async function contractError(promise: Promise<unknown>): Promise<AnchorContractError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(AnchorContractError);
  return error as AnchorContractError;
}

describe('EventAnchor.commitBatch', () => {
  it('accepts batch n+1 only after batch n, across storage words, and never the same batch twice', async () => {
    const { chain } = await freshAnchor();
    expect(await chain.nextBatchId()).toBe(1);
    for (let batchId = 1; batchId <= 9; batchId++) {
      const fromLsn = (batchId - 1) * 10 + 1;
      const skipped = await contractError(chain.commitBatch(batchOf(batchId + 1, fromLsn, fromLsn + 9)));
      expect(skipped.errorName).toBe('EventAnchorBatchOutOfOrder');
      expect(skipped.args).toEqual({ expected: BigInt(batchId), given: BigInt(batchId + 1) });
      if (batchId > 1) {
        const again = await contractError(chain.commitBatch(batchOf(batchId - 1, fromLsn, fromLsn + 9)));
        expect(again.errorName).toBe('EventAnchorBatchAlreadyAnchored');
        expect(again.args).toEqual({ batchId: BigInt(batchId - 1) });
      }
      await chain.commitBatch(batchOf(batchId, fromLsn, fromLsn + 9));
      expect(await chain.nextBatchId()).toBe(batchId + 1);
    }
    const zero = await contractError(chain.commitBatch(batchOf(0, 91, 100)));
    expect(zero.args).toEqual({ expected: 10n, given: 0n });
  });

  it('names the decoded custom error and its arguments in the rejection', async () => {
    const { chain } = await freshAnchor();
    const error = await contractError(chain.commitBatch(batchOf(7, 6001, 7000)));
    expect(error.message).toBe('commitBatch(7, 6001..7000) reverted: EventAnchorBatchOutOfOrder(expected 1, given 7)');
    expect(error.errorName).toBe('EventAnchorBatchOutOfOrder');
    expect(error.args).toEqual({ expected: 1n, given: 7n });
  });

  it('starts the first batch at LSN 1 and every later one right after the previous batch', async () => {
    const { chain } = await freshAnchor();
    const late = await contractError(chain.commitBatch(batchOf(1, 2, 10)));
    expect([late.errorName, late.args]).toEqual(['EventAnchorLsnGap', { expectedFrom: 1n, given: 2n }]);
    await chain.commitBatch(batchOf(1, 1, 10));
    const gap = await contractError(chain.commitBatch(batchOf(2, 12, 20)));
    expect([gap.errorName, gap.args]).toEqual(['EventAnchorLsnGap', { expectedFrom: 11n, given: 12n }]);
    const overlap = await contractError(chain.commitBatch(batchOf(2, 10, 20)));
    expect([overlap.errorName, overlap.args]).toEqual(['EventAnchorLsnGap', { expectedFrom: 11n, given: 10n }]);
    await chain.commitBatch(batchOf(2, 11, 11)); // a batch of one event
    expect(await chain.nextBatchId()).toBe(3);
  });

  it('rejects an inverted range and a zero root', async () => {
    const { chain } = await freshAnchor();
    const inverted = await contractError(chain.commitBatch(batchOf(1, 1, 0)));
    expect([inverted.errorName, inverted.args]).toEqual(['EventAnchorInvalidRange', { fromLsn: 1n, toLsn: 0n }]);
    const zeroRoot = await contractError(chain.commitBatch({ batchId: 1, fromLsn: 1, toLsn: 5, root: new Uint8Array(32) }));
    expect([zeroRoot.errorName, zeroRoot.args]).toEqual(['EventAnchorZeroRoot', {}]);
    expect(await chain.nextBatchId()).toBe(1);
  });

  it('lets only ANCHORER_ROLE commit, and the admin grant that role', async () => {
    const { chain, address, as } = await freshAnchor();
    const outsiderChain = as(outsider);
    const outsiderAddress = await outsider.signer.getAddress();
    const denied = await contractError(outsiderChain.commitBatch(batchOf(1, 1, 10)));
    expect(denied.errorName).toBe('AccessControlUnauthorizedAccount');
    expect(denied.args).toEqual({ account: outsiderAddress, neededRole: ANCHORER_ROLE });

    const asAdmin = new Contract(address, eventAnchorInterface, admin.signer);
    await (await asAdmin.getFunction('grantRole').send(ANCHORER_ROLE, outsiderAddress)).wait(1);
    await outsiderChain.commitBatch(batchOf(1, 1, 10));
    await chain.commitBatch(batchOf(2, 11, 20));
    expect(await chain.nextBatchId()).toBe(3);
  });

  it('emits BatchAnchored with the batch id, its range and its root', async () => {
    const { chain, address } = await freshAnchor();
    await chain.commitBatch(batchOf(1, 1, 1000));
    const batch = batchOf(2, 1001, 2000);
    const receipt = await chain.commitBatch(batch);
    const logs = (await admin.provider.getTransactionReceipt(receipt.txHash))!.logs;
    expect(logs).toHaveLength(1);
    expect(logs[0]!.address).toBe(address);
    const event = eventAnchorInterface.parseLog(logs[0]!)!;
    expect(event.name).toBe('BatchAnchored');
    expect(event.args.toObject()).toEqual({ batchId: 2n, fromLsn: 1001n, toLsn: 2000n, root: toHex(batch.root) });
    expect(receipt.gasUsed).toBeGreaterThan(21_000n);
  });
});

describe('EventAnchor constructor', () => {
  it('refuses the zero address as admin or anchorer', async () => {
    const me = await admin.signer.getAddress();
    for (const roles of [{ admin: ZeroAddress, anchorer: me }, { admin: me, anchorer: ZeroAddress }]) {
      const error = await deployEventAnchor(admin.signer, roles).then(
        () => undefined,
        (reason: unknown) => decodeContractError(reason, eventAnchorInterface, 'deploy'),
      );
      expect(error?.errorName).toBe('EventAnchorZeroAddress');
    }
  });
});

describe('EventAnchor.batch and nextBatchId', () => {
  it('answers every committed batch with its range, and null for batches not committed', async () => {
    const { chain } = await freshAnchor();
    const committed: AnchoredBatch[] = [];
    let toLsn = 0;
    // 17 batches: five storage words, so that nextBatchId's search doubles and then bisects.
    for (let batchId = 1; batchId <= 17; batchId++) {
      const batch = batchOf(batchId, toLsn + 1, toLsn + batchId * 3);
      toLsn = batch.toLsn;
      await chain.commitBatch(batch);
      committed.push(batch);
      expect(await chain.nextBatchId()).toBe(batchId + 1);
    }
    for (const batch of committed) expect(await chain.batch(batch.batchId)).toEqual(batch);
    expect(await chain.batch(0)).toBeNull();
    expect(await chain.batch(18)).toBeNull();
    expect(await chain.batch(1_000_000)).toBeNull();
  });
});

describe('EventAnchor.verifyEvent', () => {
  type Anchored = { batchId: number; fields: LeafFields; proof: Bytes32[] };

  /** Real encoded events with LSNs from..to, committed as batch `batchId`; returns every event's proof. */
  async function anchorEvents(chain: AnchorChain, batchId: number, fromLsn: number, toLsn: number, extraLsns: number[] = []): Promise<Anchored[]> {
    const lsns = [...Array.from({ length: toLsn - fromLsn + 1 }, (_, index) => fromLsn + index), ...extraLsns];
    const fields = lsns.map((lsn) =>
      leafFieldsOf({
        lsn,
        streamId: `decision-d-${lsn % 3}`,
        eventId: randomUUID(),
        data: encodeEvent({ type: 'DecisionClosed', data: { decisionId: `d-${lsn % 3}`, closedAt: 1_700_000_000_000 + lsn, reason: 'manual' } }),
      }),
    );
    const tree = batchTree(fields.map(leafOf));
    await chain.commitBatch({ batchId, fromLsn, toLsn, root: tree.root });
    return fields.map((leaf, index) => ({ batchId, fields: leaf, proof: tree.proof(index).map((node) => fromHex32(node)) }));
  }

  const verify = (chain: AnchorChain, anchored: Anchored, changes: Partial<LeafFields> & { batchId?: number } = {}) =>
    chain.verifyEvent({ batchId: changes.batchId ?? anchored.batchId, ...anchored.fields, ...changes, proof: anchored.proof });

  const flipped = (bytes: Bytes32): Bytes32 => {
    const copy = Uint8Array.from(bytes);
    copy[31] = copy[31]! ^ 1;
    return copy;
  };

  let chain: AnchorChain;
  let first: Anchored[];
  let second: Anchored[];
  let padded: Anchored[];

  beforeAll(async () => {
    ({ chain } = await freshAnchor());
    first = await anchorEvents(chain, 1, 1, 4);
    second = await anchorEvents(chain, 2, 5, 11); // seven leaves: an odd node moves up a level
    // A tree that also holds LSN 14, although the batch claims 12..13 only.
    padded = await anchorEvents(chain, 3, 12, 13, [14]);
  });

  it('is true for every event of a real batch, with the proofs of the TypeScript tree', async () => {
    for (const anchored of [...first, ...second, ...padded.slice(0, 2)]) expect(await verify(chain, anchored)).toBe(true);
  });

  it('is false for a tampered payload hash, stream hash or event id', async () => {
    const event = second[3]!;
    expect(await verify(chain, event, { payloadHash: flipped(event.fields.payloadHash) })).toBe(false);
    expect(await verify(chain, event, { streamHash: flipped(event.fields.streamHash) })).toBe(false);
    expect(await verify(chain, event, { eventId: flipped(event.fields.eventId) })).toBe(false);
    expect(await verify(chain, event, { lsn: event.fields.lsn + 1 })).toBe(false);
  });

  it('is false for the right proof in the wrong batch and for a batch that does not exist', async () => {
    expect(await verify(chain, second[0]!, { batchId: 1 })).toBe(false);
    expect(await verify(chain, second[0]!, { batchId: 3 })).toBe(false);
    expect(await verify(chain, second[0]!, { batchId: 4 })).toBe(false);
    expect(await verify(chain, second[0]!, { batchId: 0 })).toBe(false);
  });

  it('is false for an LSN outside the batch range, even with a proof that reaches the root', async () => {
    const outside = padded[2]!;
    expect(outside.fields.lsn).toBe(14);
    expect(await verify(chain, outside)).toBe(false);
  });
});
