// `proofline login --dev-wallet`: a session token from a running gateway for trying voter flows from a
// shell, signed in (EIP-4361) with a development wallet. The wallet's key is kept under the data directory
// rather than drawn anew each time: the same subject comes back on every login, so a role granted to it
// (expert, convener) and the ballots it cast stay its own after its session ends; `--as <name>` keeps
// more of them, one per name, for several voters.
import { parseArgs } from 'node:util';
import { Wallet } from 'ethers';
import { SiweMessage } from 'siwe';
import { loadConfig } from '../../infra/config.ts';
import { dataDirSecret } from '../../infra/local/data-dir-secrets.ts';

export const LOGIN_USAGE = `usage: proofline login --dev-wallet [--as <name>] [--url http://HOST:PORT]

  signs in to a running gateway (GET /v1/auth/nonce, POST /v1/auth/siwe) with a development wallet kept
  under PROOFLINE_DATA_DIR (secrets/dev-wallet; with --as <name>, secrets/dev-wallet-<name>), the same
  subject every time. Prints the session token alone on stdout (TOKEN=$(proofline login --dev-wallet)),
  the subject on stderr. Refused with NODE_ENV=production.
  --url   the gateway; default http://HOST:PORT
  The message names AUTH_DOMAIN (default: the URL's host:port) and AUTH_CHAIN_ID (default 31337), as the
  gateway expects them.`;

const WALLET_NAME = /^[A-Za-z0-9_-]{1,64}$/;

export type LoginOutput = { out: (text: string) => void; err: (text: string) => void };

export type LoginDeps = LoginOutput & { env: NodeJS.ProcessEnv; fetch: typeof fetch; now: () => Date };

/** Runs `login …`; answers the exit code (2: the arguments; 1: refused or the gateway said no). */
export async function runLogin(argv: readonly string[], deps: LoginDeps): Promise<number> {
  const usage = (problem: string) => (deps.err(`proofline login: ${problem}\n${LOGIN_USAGE}\n`), 2);
  if (argv.includes('--help') || argv.includes('-h')) {
    deps.out(`${LOGIN_USAGE}\n`);
    return 0;
  }
  if (deps.env.NODE_ENV === 'production') {
    deps.err('proofline login: --dev-wallet signs in with a key kept in a local file, for development only; refused with NODE_ENV=production\n');
    return 1;
  }
  let values;
  try {
    ({ values } = parseArgs({ args: [...argv], strict: true, options: { 'dev-wallet': { type: 'boolean' }, as: { type: 'string' }, url: { type: 'string' } } }));
  } catch (error) {
    return usage(error instanceof Error ? error.message : String(error));
  }
  if (!values['dev-wallet']) return usage('needs --dev-wallet (a real wallet signs in through a front end, with POST /v1/auth/siwe)');
  if (values.as !== undefined && !WALLET_NAME.test(values.as)) return usage('--as: letters, digits, _ or -, at most 64');

  const config = loadConfig(deps.env);
  let gateway: URL;
  try {
    gateway = new URL(values.url ?? `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${config.port}`);
  } catch {
    return usage(`--url: "${JSON.stringify(values.url).slice(1, -1)}" is not a URL`);
  }
  if (gateway.protocol !== 'http:' && gateway.protocol !== 'https:') return usage('--url must be http:// or https://');
  // What the gateway checks the message against: its AUTH_DOMAIN, by default the HOST:PORT it is reached on.
  const domain = deps.env.AUTH_DOMAIN?.trim() ? config.authDomain : gateway.host;

  const kept = dataDirSecret(config.dataDir, values.as ? `dev-wallet-${values.as}` : 'dev-wallet');
  if (kept.created) deps.err(`proofline: a development wallet was drawn and kept in ${kept.file}\n`);
  const wallet = new Wallet(`0x${kept.secret.subarray(0, 32).toString('hex')}`);

  const nonce = await call(deps, new URL('/v1/auth/nonce', gateway), { method: 'GET' });
  if (!nonce.ok) return failed(deps, nonce.problem);
  const message = new SiweMessage({
    domain,
    address: wallet.address,
    statement: 'Sign in to Proofline with a development wallet.',
    uri: `${gateway.protocol}//${domain}/`,
    version: '1',
    chainId: config.authChainId,
    nonce: String(nonce.body.nonce),
    issuedAt: deps.now().toISOString(),
  }).prepareMessage();
  const signature = await wallet.signMessage(message);
  const session = await call(deps, new URL('/v1/auth/siwe', gateway), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ message, signature }),
  });
  if (!session.ok) return failed(deps, session.problem);
  const roles = (session.body.roles as Array<{ role: string; scope?: string }>).map(({ role, scope }) => (scope ? `${role} for ${scope}` : role));
  deps.out(`${String(session.body.token)}\n`);
  deps.err(`proofline: signed in as ${String(session.body.subject)} (roles: ${roles.join(', ') || 'none'}); the session ends at ${String(session.body.expiresAt)}\n`);
  return 0;
}

type Answer = { ok: true; body: Record<string, unknown> } | { ok: false; problem: string };

async function call(deps: LoginDeps, url: URL, init: RequestInit): Promise<Answer> {
  let response: Response;
  try {
    response = await deps.fetch(url, init);
  } catch (error) {
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
    return { ok: false, problem: `cannot reach ${url.origin} (${cause}); is the gateway running there? (--url)` };
  }
  const text = await response.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // not JSON: reported below with the status
  }
  if (response.status === 200) return { ok: true, body };
  const said = typeof body.message === 'string' ? `${String(body.error)}: ${body.message}` : text.slice(0, 200);
  return { ok: false, problem: `${init.method} ${url.pathname} answered ${response.status} ${said}` };
}

function failed(deps: LoginOutput, problem: string): number {
  deps.err(`proofline login: ${problem}\n`);
  return 1;
}
