// Who the console acts as: a wallet signed in with EIP-4361 (when the browser has an EIP-1193 wallet), or a
// pasted API key; kept in sessionStorage for this tab. Shows the subject and its roles, and signs out.
import { getAddress, hexlify, toUtf8Bytes } from 'ethers';
import { api, credential } from './api.ts';
import { el } from './dom.ts';

type Eip1193 = { request(arguments_: { method: string; params?: unknown[] }): Promise<unknown> };
type Me = { subject: string; keyId?: string; roles: { role: string; scope?: string }[] };

declare global {
  interface Window {
    ethereum?: Eip1193;
  }
}

/** The EIP-4361 text of a sign-in, line by line as the standard lays it out. */
export function siweMessage(fields: { domain: string; address: string; uri: string; chainId: number; nonce: string; issuedAt: string }): string {
  return [
    `${fields.domain} wants you to sign in with your Ethereum account:`,
    fields.address,
    '',
    'Sign in to the Proofline console.',
    '',
    `URI: ${fields.uri}`,
    'Version: 1',
    `Chain ID: ${fields.chainId}`,
    `Nonce: ${fields.nonce}`,
    `Issued At: ${fields.issuedAt}`,
  ].join('\n');
}

async function signInWithWallet(wallet: Eip1193): Promise<void> {
  const accounts = (await wallet.request({ method: 'eth_requestAccounts' })) as string[];
  if (!accounts[0]) throw new Error('the wallet shared no account');
  const address = getAddress(accounts[0]);
  const { nonce, domain, chainId } = await api<{ nonce: string; domain: string; chainId: number }>('/v1/auth/nonce');
  const message = siweMessage({ domain, address, uri: `${location.protocol}//${domain}/`, chainId, nonce, issuedAt: new Date().toISOString() });
  const signature = (await wallet.request({ method: 'personal_sign', params: [hexlify(toUtf8Bytes(message)), address] })) as string;
  const { token } = await api<{ token: string }>('/v1/auth/siwe', { method: 'POST', body: { message, signature } });
  credential.set(token);
}

const isApiKey = (token: string) => token.startsWith('pl_');

/** Renders the session box into `root`; `changed` runs after a sign-in or sign-out. */
export async function renderSession(root: HTMLElement, changed: () => void): Promise<void> {
  const problem = el('span', { class: 'error', 'data-testid': 'session-error' });
  const fail = (error: unknown) => (problem.textContent = error instanceof Error ? error.message : String(error));
  const token = credential.get();
  if (token) {
    let me: Me;
    try {
      me = await api<Me>('/v1/auth/me');
    } catch (error) {
      credential.clear();
      root.replaceChildren(problem);
      fail(error);
      return;
    }
    const signOut = el('button', { type: 'button', 'data-testid': 'sign-out' }, 'Sign out');
    signOut.addEventListener('click', async () => {
      if (!isApiKey(token)) await api('/v1/auth/logout', { method: 'POST' }).catch(() => undefined);
      credential.clear();
      changed();
    });
    const roles = me.roles.map(({ role, scope }) => (scope ? `${role} (${scope})` : role)).join(', ') || 'no role';
    root.replaceChildren(el('span', { class: 'who', 'data-testid': 'signed-in-as', title: roles }, me.subject), el('span', { class: 'roles' }, roles), signOut);
    return;
  }
  const keyInput = el('input', { type: 'password', placeholder: 'API key', name: 'api-key', 'data-testid': 'api-key-input' });
  const keyForm = el('form', { class: 'key' }, keyInput, el('button', { type: 'submit' }, 'Use key'));
  keyForm.addEventListener('submit', (event) => {
    event.preventDefault();
    if (!keyInput.value.trim()) return;
    credential.set(keyInput.value.trim());
    changed();
  });
  const children: Node[] = [];
  const wallet = window.ethereum;
  if (wallet) {
    const button = el('button', { type: 'button', class: 'primary', 'data-testid': 'wallet-sign-in' }, 'Sign in with wallet');
    button.addEventListener('click', () => signInWithWallet(wallet).then(changed, fail));
    children.push(button);
  }
  root.replaceChildren(...children, keyForm, problem);
}
