// Load generator: --clients closed-loop HTTP clients (support/http-client.ts; keep-alive, one connection each;
// a client sends its next request when the previous one is answered). It runs in a child process so that the
// clients' CPU is not the gateway's: main.ts calls runLoadGenerator, which writes the spec (with the wallets'
// session tokens) to a private file and starts the bench's entry file (bench/assets.ts) again with
// --load-spec <file>; there main.ts hands over to runLoadGeneratorProcess, which prints the outcome as its
// last stdout line.
//
// The clients share one view of the market (this process is its only trader): each asset's owners, price and
// whether it is listed, as the answers left them. A client picks a random asset the view shows listed, and a
// random wallet that owns none of it buys it at the view's price, under a purchase id of its own. A sale
// unlists the asset (the decider's rule); the same client then relists it as its new owner — every
// --reprice-every-th time at a new price first (PUT price), then POST listing — so the market keeps going.
// Purchases racing on one asset or reading the view while it changes are refused (purchase_in_progress,
// asset_not_listed, price_changed): expected, counted by code. The first --warmup s are not counted.
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { errorCodeOf, send } from '../support/http-client.ts';
import { ClientCpu, printLoadOutcome, runLoadProcess } from '../support/load-process.ts';
import { epochNow } from '../support/pipeline-trace.ts';
import { summarizeLatencies, type LatencySummary } from '../support/stats.ts';
import { PRICES, type Market } from './market.ts';

const ENTRY_SCRIPT = fileURLToPath(new URL('../assets.ts', import.meta.url));
const PICK_TRIES = 64;

export type LoadSpec = { url: string; clients: number; seconds: number; warmupSeconds: number; repriceEvery: number; market: Market };

/** A purchase answered 201: its id, asset index, buyer (wallet index), price, the answer's royalties + proceeds, LSN, when answered (epoch ms). */
export type Sale = [purchaseId: string, asset: number, buyer: number, price: number, splitsTotal: number, lsn: number, answeredAt: number];

export type LoadOutcome = {
  sent: number;
  /** Epoch ms: the first request, the end of the warm-up, the end of the counted window, the last answer. */
  startedAt: number;
  windowStartAt: number;
  windowEndAt: number;
  lastAnswerAt: number;
  /** Every purchase answer, by outcome: 'sold', '<status> <error code>', 'transport <message>'. */
  answers: Record<string, number>;
  /** Every relist answer (PUT price, POST listing), by outcome. */
  relists: Record<string, number>;
  /** A few bodies of unexpected answers. */
  samples: string[];
  /** Every sale, warm-up and drain included. */
  sales: Sale[];
  /** Every purchase not answered 201: its id and outcome. */
  unsold: Array<[purchaseId: string, outcome: string]>;
  windowSold: number;
  windowAnswered: number;
  windowRelists: number;
  latency: LatencySummary;
  soldLatency: LatencySummary;
  relistLatency: LatencySummary;
  /** This process's CPU over the window, in cores. */
  clientCores: number;
};

/** Parent side: runs the load in a fresh process; the spec (session tokens included) goes through a file only we can read. */
export function runLoadGenerator(spec: LoadSpec, workDir: string): Promise<LoadOutcome> {
  return runLoadProcess<LoadOutcome>(ENTRY_SCRIPT, spec, workDir, spec.warmupSeconds + spec.seconds);
}

/** Child side (started with --load-spec): runs the clients, prints the outcome as one JSON line. */
export function runLoadGeneratorProcess(specFile: string): Promise<void> {
  return printLoadOutcome(specFile, runClients);
}

const random = (n: number) => Math.floor(Math.random() * n);

async function runClients(spec: LoadSpec): Promise<LoadOutcome> {
  const { market, clients } = spec;
  const wallets = market.wallets;
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
  const view = market.assets.map((asset) => ({ owners: asset.creators, price: asset.price, listed: true }));
  const answers: Record<string, number> = {};
  const relists: Record<string, number> = {};
  const samples: string[] = [];
  const sales: Sale[] = [];
  const unsold: Array<[string, string]> = [];
  const records: Array<{ answeredAt: number; ms: number; sold: boolean }> = [];
  const relistRecords: Array<{ answeredAt: number; ms: number }> = [];
  let sent = 0;
  let relisted = 0;

  const startedAt = epochNow();
  const windowStartAt = startedAt + spec.warmupSeconds * 1000;
  const deadline = windowStartAt + spec.seconds * 1000;
  const cpu = new ClientCpu(windowStartAt - startedAt, deadline - startedAt);

  const endpoint = (route: string) => new URL(`${spec.url}${route}`);
  const sample = (text: string) => samples.length < 5 && samples.push(text);
  const call = async (method: 'POST' | 'PUT', route: string, authorization: string, body: object) => {
    try {
      return await send(agent, endpoint(route), { method, authorization, body: JSON.stringify(body) });
    } catch (error) {
      return { status: 0, text: `transport ${error instanceof Error ? error.message : String(error)}` };
    }
  };
  const outcomeOf = (answer: { status: number; text: string }) => (answer.status === 0 ? answer.text : `${answer.status} ${errorCodeOf(answer.text)}`);

  /** The new owner relists the asset (a new price first, every --reprice-every-th time); answers counted under `relists`. */
  const relist = async (k: number, owner: number) => {
    const { assetId } = market.assets[k]!;
    const authorization = wallets[owner]!.authorization;
    const steps: Array<() => Promise<boolean>> = [];
    if (++relisted % spec.repriceEvery === 0) {
      const price = PRICES.filter((p) => p !== view[k]!.price)[random(PRICES.length - 1)]!;
      steps.push(async () => {
        const answer = await call('PUT', `/v1/assets/${assetId}/price`, authorization, { price });
        if (answer.status === 200) view[k]!.price = price;
        return count('price 200', answer);
      });
    }
    steps.push(async () => {
      const answer = await call('POST', `/v1/assets/${assetId}/listing`, authorization, { listed: true });
      if (answer.status === 200) view[k]!.listed = true;
      return count('listing 200', answer);
    });
    for (const step of steps) if (!(await step())) return;
  };
  const count = (ok: string, answer: { status: number; text: string }) => {
    const outcome = answer.status === 200 ? ok : `${ok.split(' ')[0]} ${outcomeOf(answer)}`;
    relists[outcome] = (relists[outcome] ?? 0) + 1;
    if (outcome !== ok) sample(`relist: ${answer.status} ${answer.text.slice(0, 300)}`);
    return outcome === ok;
  };

  const client = async (c: number) => {
    for (let n = 0; epochNow() < deadline; n++) {
      let k = random(view.length);
      for (let tries = 1; !view[k]!.listed && tries < PICK_TRIES; tries++) k = random(view.length);
      const asset = view[k]!;
      let buyer = random(wallets.length);
      while (asset.owners.includes(buyer)) buyer = random(wallets.length);
      const purchaseId = `p-${market.runId}-${c}-${n}`;
      const price = asset.price;
      sent += 1;
      const began = epochNow();
      const answer = await call('POST', `/v1/assets/${market.assets[k]!.assetId}/purchases`, wallets[buyer]!.authorization, { price, purchaseId });
      const answeredAt = epochNow();
      const sold = answer.status === 201;
      records.push({ answeredAt, ms: answeredAt - began, sold });
      const outcome = sold ? 'sold' : outcomeOf(answer);
      answers[outcome] = (answers[outcome] ?? 0) + 1;
      if (!sold) {
        unsold.push([purchaseId, outcome]);
        if (!/^409 (purchase_in_progress|asset_not_listed|price_changed)$|^422 insufficient_funds$/.test(outcome)) sample(`purchase ${purchaseId}: ${answer.status} ${answer.text.slice(0, 300)}`);
        continue;
      }
      const body = JSON.parse(answer.text) as { price: number; royalties: Array<{ amount: number }>; proceeds: Array<{ amount: number }>; lsn: number };
      const splitsTotal = [...body.royalties, ...body.proceeds].reduce((sum, payout) => sum + payout.amount, 0);
      sales.push([purchaseId, k, buyer, body.price, splitsTotal, body.lsn, answeredAt]);
      Object.assign(asset, { owners: [buyer], listed: false });
      const relistBegan = epochNow();
      await relist(k, buyer);
      const relistedAt = epochNow();
      relistRecords.push({ answeredAt: relistedAt, ms: relistedAt - relistBegan });
    }
  };
  await Promise.all(Array.from({ length: clients }, (_, c) => client(c)));
  cpu.stop();
  agent.destroy();

  const lastAnswerAt = [...records, ...relistRecords].reduce((last, record) => Math.max(last, record.answeredAt), startedAt);
  const windowEndAt = Math.min(lastAnswerAt, deadline);
  const inWindow = (record: { answeredAt: number }) => record.answeredAt >= windowStartAt && record.answeredAt <= windowEndAt;
  const counted = records.filter(inWindow);
  const windowMs = Math.max(1, windowEndAt - windowStartAt);
  return {
    sent,
    startedAt,
    windowStartAt,
    windowEndAt,
    lastAnswerAt,
    answers,
    relists,
    samples,
    sales,
    unsold,
    windowSold: counted.filter((record) => record.sold).length,
    windowAnswered: counted.length,
    windowRelists: relistRecords.filter(inWindow).length,
    latency: summarizeLatencies(counted.map((record) => record.ms)),
    soldLatency: summarizeLatencies(counted.filter((record) => record.sold).map((record) => record.ms)),
    relistLatency: summarizeLatencies(relistRecords.filter(inWindow).map((record) => record.ms)),
    clientCores: cpu.cores(windowMs),
  };
}
