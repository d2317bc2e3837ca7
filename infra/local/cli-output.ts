// What the local launchers' command lines (kafka-cli.ts, registry-cli.ts, the Java consumer's) share: their
// output, port settings and command dispatch.

export const say = (line: string) => process.stdout.write(`${line}\n`);
export const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** A TCP port from the environment variable `name`, or `fallback` when it is unset or empty. */
export function portFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`${name} must be a TCP port, got ${JSON.stringify(raw)}`);
  return port;
}

/**
 * Runs the command `process.argv[2]` names: an unknown one prints the usage and exits 2, a failure prints
 * `<label> <command>: <message>` and exits 1.
 */
export async function runCliCommand(script: string, label: string, commands: Record<string, () => Promise<void>>): Promise<void> {
  const name = process.argv[2] ?? '';
  const command = commands[name];
  if (!command) {
    process.stderr.write(`usage: node --import tsx ${script} ${Object.keys(commands).join('|')}\n`);
    process.exit(2);
  }
  try {
    await command();
  } catch (error) {
    process.stderr.write(`${label} ${name}: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}
