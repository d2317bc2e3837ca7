// Gas per anchored batch: EventAnchor.commitBatch receipts on a real anvil, for several batch sizes.
//
//   node --import tsx bench/anchor-gas.ts [--sizes 100,1000,10000] [--batches 40] [--json]
//
// Starts its own anvil, deploys the committed artifact, and commits `batches` consecutive batches per size (the
// sizes one after the other on the same contract, LSNs contiguous) with real Merkle roots over random leaves.
// gasUsed is the receipt's (21,000 intrinsic included). The contract packs four batches' toLsn per storage slot,
// so every fourth batch opens a fresh slot: use a multiple of 4 batches for a fair average.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { connectChain, createEventAnchorChain, deployEventAnchor } from '../infra/chain/index.ts';
import { startAnvil } from '../infra/local/anvil.ts';
import { merkleRoot } from '../projections/anchoring/merkle-tree.ts';
import { fixed, formatTable } from './support/table.ts';

export type AnchorGasResult = {
  batchSize: number;
  batches: number;
  gasPerBatchAvg: number;
  gasPerBatchMin: number;
  gasPerBatchMax: number;
  gasPerEvent: number;
};

export async function measureAnchorGas(options: { batchSizes: number[]; batchesPerSize: number }): Promise<AnchorGasResult[]> {
  for (const size of options.batchSizes) if (!Number.isInteger(size) || size < 1) throw new RangeError(`batch size must be a positive integer, got ${size}`);
  if (!Number.isInteger(options.batchesPerSize) || options.batchesPerSize < 1) throw new RangeError(`batchesPerSize must be a positive integer, got ${options.batchesPerSize}`);

  const anvil = await startAnvil();
  try {
    const connection = await connectChain({ rpcUrl: anvil.rpcUrl, privateKey: anvil.devPrivateKeys[0]!, pollingIntervalMs: 20 });
    const me = await connection.signer.getAddress();
    const { address } = await deployEventAnchor(connection.signer, { admin: me, anchorer: me });
    const chain = createEventAnchorChain({ ...connection, contractAddress: address });
    try {
      const results: AnchorGasResult[] = [];
      let batchId = 1;
      let toLsn = 0;
      for (const batchSize of options.batchSizes) {
        const gas: number[] = [];
        for (let n = 0; n < options.batchesPerSize; n++) {
          const leaves = Array.from({ length: batchSize }, () => Uint8Array.from(randomBytes(32)));
          const receipt = await chain.commitBatch({ batchId, fromLsn: toLsn + 1, toLsn: toLsn + batchSize, root: merkleRoot(leaves) });
          gas.push(Number(receipt.gasUsed));
          batchId += 1;
          toLsn += batchSize;
        }
        const average = gas.reduce((sum, value) => sum + value, 0) / gas.length;
        results.push({
          batchSize,
          batches: gas.length,
          gasPerBatchAvg: average,
          gasPerBatchMin: Math.min(...gas),
          gasPerBatchMax: Math.max(...gas),
          gasPerEvent: average / batchSize,
        });
      }
      return results;
    } finally {
      await chain.close();
    }
  } finally {
    await anvil.stop();
  }
}

export function formatAnchorGas(results: readonly AnchorGasResult[]): string {
  return formatTable(
    [
      { header: 'batch size', align: 'right' },
      { header: 'batches', align: 'right' },
      { header: 'gas/batch avg', align: 'right' },
      { header: 'min', align: 'right' },
      { header: 'max', align: 'right' },
      { header: 'gas/event', align: 'right' },
    ],
    results.map((result) => [
      String(result.batchSize),
      String(result.batches),
      fixed(result.gasPerBatchAvg, 0),
      String(result.gasPerBatchMin),
      String(result.gasPerBatchMax),
      fixed(result.gasPerEvent, result.gasPerEvent < 10 ? 2 : 1),
    ]),
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      sizes: { type: 'string', default: '100,1000,10000' },
      batches: { type: 'string', default: '40' },
      json: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const batchSizes = values.sizes.split(',').map((text) => Number(text.trim()));
  const batchesPerSize = Number(values.batches);
  const results = await measureAnchorGas({ batchSizes, batchesPerSize });
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ batchSizes, batchesPerSize, results })}\n`);
    return;
  }
  process.stdout.write(`EventAnchor.commitBatch on anvil: receipt gasUsed, ${batchesPerSize} consecutive batches per size\n\n`);
  process.stdout.write(formatAnchorGas(results));
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
