// The auditor's page: the anchored batches, and for an event id its proof checked here, in the browser —
// hashes recomputed with keccak in JS, the proof walked to the root, then the contract asked over the chain's
// JSON-RPC directly (at a URL the person auditing may change) — each step shown green or red with its values.
import { api, ApiError, credential, segment } from '../api.ts';
import { card, el, facts, lookup, shortHex, table } from '../dom.ts';
import { slot, type Page } from '../page.ts';
import { batchOnChain, chainIdAt, verifyEventOnChain } from '../auditor/chain.ts';
import { verifyEvent, type EventProof, type Step, type StoredEvent } from '../auditor/verification.ts';

type Batch = { batchId: number; fromLsn: number; toLsn: number; root: string; txHash: string | null; status: string };
type ChainInfo = { contract: string; chainId: string | null; rpcUrl: string | null };
type Pending = { status: 'pending'; message: string };

const RPC_KEY = 'proofline.rpcUrl';
const chainReader = { chainId: chainIdAt, batch: batchOnChain, verifyEvent: verifyEventOnChain };

async function storedEvent(eventId: string): Promise<StoredEvent | { unavailable: string }> {
  if (!credential.get()) return { unavailable: "sign in with an auditor's credential to read the stored event" };
  try {
    return await api<StoredEvent>(`/v1/audit/events/${segment(eventId)}`);
  } catch (error) {
    if (error instanceof ApiError && (error.status === 401 || error.status === 403)) return { unavailable: `the credential may not read events (${error.message})` };
    throw error;
  }
}

function stepRow(step: Step): HTMLElement {
  const mark = { pass: '✔', fail: '✘', skip: '–' }[step.status];
  return el(
    'li',
    { class: `step ${step.status}`, 'data-step': step.id, 'data-status': step.status },
    el('div', { class: 'step-head' }, el('span', { class: 'mark' }, mark), el('strong', {}, step.title)),
    el('p', { class: 'detail' }, step.detail),
    step.values.length > 0 ? facts(step.values.map(([label, value]) => [label, el('code', {}, value)])) : null,
  );
}

function verdictOf(steps: Step[]): HTMLElement {
  const failed = steps.find((step) => step.status === 'fail');
  if (failed) return el('p', { class: 'verdict fail', 'data-testid': 'verdict' }, `NOT verified: the check fails at “${failed.title}”.`);
  const skipped = steps.filter((step) => step.status === 'skip');
  if (skipped.length > 0) return el('p', { class: 'verdict partial', 'data-testid': 'verdict' }, `Verified, except: ${skipped.map((step) => step.title).join('; ')} (not checked).`);
  return el('p', { class: 'verdict pass', 'data-testid': 'verdict' }, 'Verified: the event is in the anchored log, by computations made in this browser and the contract’s own answer.');
}

export const auditorPage: Page = {
  path: 'auditor',
  title: 'Auditor',
  open({ params, go }) {
    const eventId = params.get('event') ?? '';
    const batches = slot('batches');
    const chainSlot = slot('chain');
    const result = slot('verification');
    let chainInfo: ChainInfo | undefined;
    let verified = false;
    const rpcInput = el('input', { name: 'rpc', placeholder: 'http://127.0.0.1:8545', 'data-testid': 'rpc-input', value: params.get('rpc') ?? localStorage.getItem(RPC_KEY) ?? '' });
    rpcInput.addEventListener('change', () => {
      const value = rpcInput.value.trim();
      if (value) localStorage.setItem(RPC_KEY, value);
      else localStorage.removeItem(RPC_KEY);
    });
    const rpcUrl = () => rpcInput.value.trim() || chainInfo?.rpcUrl || null;

    async function verify(): Promise<void> {
      const proofOrPending = await api<EventProof | Pending>(`/v1/audit/events/${segment(eventId)}/proof`);
      if ('status' in proofOrPending && proofOrPending.status === 'pending') {
        result.fill(el('p', { class: 'verdict partial', 'data-testid': 'verdict' }, `Not anchored yet: ${proofOrPending.message}. Checking again shortly.`));
        return;
      }
      const proof = proofOrPending as EventProof;
      const steps = await verifyEvent({ eventId, proof, event: await storedEvent(eventId), rpcUrl: rpcUrl() }, chainReader);
      verified = true;
      result.fill(
        facts([['event', el('code', {}, eventId)], ['LSN', proof.lsn], ['batch', proof.batchId], ['RPC', rpcUrl() ?? 'none']]),
        el('ol', { class: 'steps', 'data-testid': 'steps' }, ...steps.map(stepRow)),
        verdictOf(steps),
      );
    }

    const eventForm = lookup('Event id', eventId, 'a UUID from the log', (value) => go({ event: value, ...(rpcInput.value.trim() ? { rpc: rpcInput.value.trim() } : {}) }), 'event');
    const node = el(
      'div',
      {},
      card('Verify an event', eventForm, el('label', { class: 'rpc' }, 'Chain JSON-RPC URL (yours, or the platform’s suggestion)', rpcInput), result.node),
      el('div', { class: 'grid' }, card('Anchoring contract', chainSlot.node), card('Anchored batches', batches.node)),
    );
    return {
      node,
      live: true,
      async refresh() {
        try {
          chainInfo ??= await api<ChainInfo>('/v1/audit/chain');
          rpcInput.placeholder = chainInfo.rpcUrl ?? 'the chain’s JSON-RPC URL';
          chainSlot.fill(facts([['contract', el('code', {}, chainInfo.contract)], ['chain id', chainInfo.chainId ?? 'unknown'], ['suggested RPC', chainInfo.rpcUrl ?? 'none: enter your own']], 'chain-facts'));
        } catch (error) {
          chainSlot.fail(error);
        }
        try {
          const found = await api<{ batches: Batch[] }>('/v1/audit/batches?limit=20');
          batches.fill(
            table(
              [
                { label: 'batch', value: (row) => row.batchId, numeric: true },
                { label: 'LSNs', value: (row) => `${row.fromLsn}–${row.toLsn}` },
                { label: 'root', value: (row) => shortHex(row.root) },
                { label: 'status', value: (row) => el('span', { class: `tag ${row.status}` }, row.status) },
                { label: 'transaction', value: (row) => (row.txHash ? shortHex(row.txHash) : '—') },
              ],
              found.batches,
              'No batch anchored yet.',
              'batches-table',
            ),
          );
        } catch (error) {
          batches.fail(error);
        }
        if (!eventId) return result.fill(el('p', { class: 'empty' }, 'Enter an event id (from the log, or a command’s answer) to verify it here.'));
        // Verified once; a pending proof is asked again at each refresh until its batch is on chain.
        if (!verified) await verify().catch(result.fail);
      },
    };
  },
};
