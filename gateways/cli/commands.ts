// What each `proofline <command>` runs, and the help text: the platform's own commands, and one command per
// background process of a context (gateways/contexts), run alone.
import { availableParallelism } from 'node:os';
import { ConfigError } from '../../infra/config.ts';
import { anchoringProjection } from '../../projections/anchoring/anchoring-projection.ts';
import { processes, processForCommand, projectionNamed, projections } from '../contexts/index.ts';
import type { Roles } from './platform.ts';

/** The commands of the platform itself; a context's process may not take one of these names. */
export const platformCommands = ['start', 'gateway', 'background', 'relay', 'project', 'anchor', 'audit', 'keys', 'analyst-role', 'status', 'login', 'help'] as const;

for (const { command } of processes) {
  if ((platformCommands as readonly string[]).includes(command)) throw new Error(`a context's process takes the platform command "${command}"`);
  if (processes.filter((other) => other.command === command).length > 1) throw new Error(`two contexts' processes take the command "${command}"`);
}

/** `command` in the first column, its text from column 30, continued lines indented to it. */
const entry = (command: string, text: string) => `  ${command.padEnd(27)}${text.split('\n').join(`\n${' '.repeat(29)}`)}`;

export const USAGE = `usage: proofline <command>

commands:
  start [--workers N]        the whole platform: N HTTP gateway workers on one port (default: one per
                             core) and one background process (see background); embedded PostgreSQL
                             unless DATABASE_URL is set, embedded anvil unless CHAIN_RPC_URL is set
  gateway [--workers N]      the HTTP gateway only, as N workers sharing one port (default: one per core)
  background                 every role but the gateway, in one process: projections, the anchorer, the
                             contexts' processes (${processes.map(({ command }) => command).join(', ')}), and the relay when KAFKA_BROKERS is set
  relay                      publish the event log to Kafka (needs KAFKA_BROKERS); refuses topics that hold
                             another event store's records. --adopt-empty-topics: also publish into topics
                             written before that hold no record now (also taken by start)
  project <name>             run one projection worker (Kafka consumer group, or the local bus)
  project <name> --rebuild   rebuild that projection from LSN 1 into fresh tables and swap them in
  anchor                     commit Merkle roots of the log to the EventAnchor contract (the anchoring
                             projection's leaves, batches of ANCHOR_BATCH_SIZE or every ANCHOR_INTERVAL_MS)
${processes.map(({ command, usage }) => `${entry(command, usage)}\n`).join('')}  audit verify               replay the log and check every batch root on chain (exit 1 on a mismatch);
                             --json, --quiet, --allow-unanchored-tail, --rebuild (also compare read models)
  audit stream <streamId>    a stream's events with their leaves and Merkle proofs
  keys create --role <role> [--scope <id>] [--subject <name>]
                             a new API key, printed once on stdout (its id on stderr)
  keys list [--json]         every API key: id, role, scope, subject, created, revoked (never a secret)
  keys revoke <keyId>        the key stops working; exit 1 for an unknown key
                             (keys: DATABASE_URL, else the data directory's embedded PostgreSQL)
  analyst-role create [--login <name>]
                             the read-only role proofline_analyst: SELECT on the views of schema
                             analytics and nothing else (idempotent); --login: also a login member,
                             its generated password printed once (database as for keys)
  status [--json]            the head LSN, each projection's watermark, lag and parked events, the relay
                             checkpoint, the anchored LSN and the last batch's age (database as for keys)
  login --dev-wallet [--as <name>] [--url http://HOST:PORT]
                             sign in to a running gateway with a development wallet kept under the data
                             directory; prints the session token on stdout (not with NODE_ENV=production)
  help                       this text

projections: ${projections.map((projection) => projection.name).join(', ')}`;

/** The roles a command runs in this process; undefined for a command that is not one of them. */
export function rolesFor(command: string, args: readonly string[], kafka: boolean): Roles | undefined {
  const adoptEmptyTopics = args.includes('--adopt-empty-topics');
  const none = { gateway: false, relay: false, projections: [], anchorer: false, processes: [] } satisfies Roles;
  switch (command) {
    case 'background':
      return { gateway: false, relay: kafka, projections, anchorer: true, processes, adoptEmptyTopics };
    case 'gateway':
      return { ...none, gateway: true };
    case 'relay':
      return { ...none, relay: true, adoptEmptyTopics };
    case 'project':
      if (!args[0]) throw new ConfigError('proofline project needs a projection name');
      return { ...none, projections: [projectionNamed(args[0])] };
    case 'anchor':
      return { ...none, projections: [anchoringProjection], anchorer: true };
  }
  const contextProcess = processForCommand(command);
  return contextProcess ? { ...none, processes: [contextProcess] } : undefined;
}

/**
 * How many gateway workers `start` and `gateway` run: `--workers N`, else one per core. For `gateway`, 1 is
 * the gateway in this very process; `start` always runs its gateways in processes of their own.
 */
export function gatewayWorkers(command: string, args: readonly string[], cores = availableParallelism()): number {
  const at = args.indexOf('--workers');
  if (at < 0) return command === 'start' || command === 'gateway' ? cores : 1;
  const value = args[at + 1];
  if (!value || !/^[1-9]\d{0,2}$/.test(value)) throw new ConfigError(`--workers needs a whole number of workers from 1 to 999, not ${JSON.stringify(value ?? '')}`);
  return Number(value);
}
