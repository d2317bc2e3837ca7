// What the local launchers' command lines (kafka-cli.ts, registry-cli.ts) share: their output and port settings.

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
