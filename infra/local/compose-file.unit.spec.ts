// docker-compose.yml and the Dockerfile, checked without a Docker engine (none runs where these tests do):
// the file's structure against the Compose specification's basics, and its Proofline services against the
// CLI itself: every role the CLI has runs somewhere, each service's command is one the CLI accepts, its
// environment is one loadConfig accepts, it waits for healthy servers, and no secret has a literal value.
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { gatewayWorkers, platformCommands, rolesFor } from '../../gateways/cli/commands.ts';
import type { Roles } from '../../gateways/cli/platform.ts';
import { processes, projections } from '../../gateways/contexts/index.ts';
import { loadConfig } from '../config.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

type Healthcheck = { test?: string | string[]; disable?: boolean };
type DependsOn = string[] | Record<string, { condition?: string; required?: boolean }>;
type Service = {
  image?: string;
  build?: unknown;
  command?: string | string[];
  entrypoint?: string | string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  depends_on?: DependsOn;
  healthcheck?: Healthcheck;
  profiles?: string[];
  ports?: (string | { published?: string | number })[];
  volumes?: (string | { type?: string; source?: string })[];
};
type ComposeFile = { services: Record<string, Service>; volumes?: Record<string, unknown> } & Record<string, unknown>;

// Compose resolves YAML merge keys (`<<: *anchor`); so does this parse.
const compose = parse(read('docker-compose.yml'), { merge: true }) as ComposeFile;
const services = Object.entries(compose.services ?? {});
/** The services running the image the repository's Dockerfile builds. */
const prooflineServices = services.filter(([, service]) => service.build !== undefined);
const infraServices = services.filter(([, service]) => service.build === undefined);

const SECRETS = ['AUTH_SECRET', 'WORKPLACE_PSEUDONYM_KEY', 'CHAIN_PRIVATE_KEY'] as const;
/** Values a user would export: the secrets the file requires, nothing else. */
const USER_ENV: Record<string, string> = {
  AUTH_SECRET: 'a1'.repeat(32),
  WORKPLACE_PSEUDONYM_KEY: 'b2'.repeat(32),
  CHAIN_PRIVATE_KEY: `0x${'c3'.repeat(32)}`,
};

function environmentOf(service: Service): Record<string, string> {
  const { environment } = service;
  if (environment === undefined) return {};
  if (Array.isArray(environment)) {
    return Object.fromEntries(environment.map((entry) => [entry.split('=')[0]!, entry.slice(entry.indexOf('=') + 1)]));
  }
  return Object.fromEntries(Object.entries(environment).map(([name, value]) => [name, value === null ? '' : String(value)]));
}

/**
 * Compose's interpolation of ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?message} and ${VAR?message}
 * (what this file uses), with `shell` as the user's environment; `$$` is a literal dollar.
 */
function interpolate(value: string, shell: Record<string, string | undefined>): string {
  return value.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}/g, (whole, name: string | undefined, operator: string | undefined, argument: string | undefined) => {
    if (whole === '$$') return '$';
    const set = shell[name!];
    const unsetOrEmpty = set === undefined || (operator?.startsWith(':') === true && set === '');
    if (operator === ':-' || operator === '-') return unsetOrEmpty ? argument! : set!;
    if ((operator === ':?' || operator === '?') && unsetOrEmpty) throw new Error(`required variable ${name} is missing a value: ${argument}`);
    return set ?? '';
  });
}

function commandOf(name: string, service: Service): string[] {
  const { command } = service;
  if (command === undefined) throw new Error(`${name} has no command: the image would only print its help`);
  return typeof command === 'string' ? command.split(/\s+/).filter(Boolean) : command.map(String);
}

/** The roles a service's command runs, as the CLI decides them (rolesFor), with its own KAFKA_BROKERS. */
function rolesOf(name: string, service: Service): Roles {
  const [command, ...args] = commandOf(name, service);
  const kafka = Boolean(interpolate(environmentOf(service).KAFKA_BROKERS ?? '', USER_ENV));
  const roles = rolesFor(command!, args, kafka);
  if (!roles) throw new Error(`${name}: "${command}" is not a command proofline runs as a role`);
  return roles;
}

function dependsOn(service: Service): Record<string, { condition?: string; required?: boolean }> {
  const { depends_on: dependencies } = service;
  if (dependencies === undefined) return {};
  return Array.isArray(dependencies) ? Object.fromEntries(dependencies.map((name) => [name, { condition: 'service_started' }])) : dependencies;
}

const healthcheckTest = (service: Service) => {
  const test = service.healthcheck?.test;
  return service.healthcheck?.disable ? undefined : typeof test === 'string' ? test : test?.join(' ');
};

describe('docker-compose.yml: the Compose specification', () => {
  it('has only the top-level keys the specification defines, and extension fields named x-*', () => {
    const allowed = ['version', 'name', 'include', 'services', 'networks', 'volumes', 'configs', 'secrets', 'models'];
    expect(Object.keys(compose).filter((key) => !allowed.includes(key) && !key.startsWith('x-'))).toEqual([]);
    expect(typeof compose.services).toBe('object');
    expect(Array.isArray(compose.services)).toBe(false);
  });

  it('gives every service an image or a build, and names only services and volumes it declares', () => {
    expect(services.length).toBeGreaterThan(0);
    const names = new Set(services.map(([name]) => name));
    for (const [name, service] of services) {
      expect(service.image !== undefined || service.build !== undefined, `${name} has neither image nor build`).toBe(true);
      expect(Object.keys(dependsOn(service)).filter((dependency) => !names.has(dependency)), `${name} depends on undeclared services`).toEqual([]);
      for (const [dependency, { condition }] of Object.entries(dependsOn(service))) {
        expect(['service_started', 'service_healthy', 'service_completed_successfully'], `${name} → ${dependency}`).toContain(condition);
      }
      for (const volume of service.volumes ?? []) {
        const source = typeof volume === 'string' ? volume.split(':')[0]! : volume.source;
        // A named volume (not a path on the host) must be declared at the top level.
        if (source && !/^[./~]/.test(source)) expect(Object.keys(compose.volumes ?? {}), `${name}: volume ${source}`).toContain(source);
      }
    }
  });

  it('publishes each host port once', () => {
    const published = services.flatMap(([, service]) =>
      (service.ports ?? []).map((port) => (typeof port === 'string' ? port.split(':').slice(0, -1).join(':') : String(port.published ?? ''))),
    );
    expect(published.filter(Boolean).length).toBe(new Set(published.filter(Boolean)).size);
  });
});

describe('docker-compose.yml: the servers', () => {
  it('runs PostgreSQL, Kafka in KRaft mode, anvil and an optional EventStoreDB/KurrentDB', () => {
    const image = (name: string) => compose.services[name]?.image ?? '';
    expect(image('postgres')).toMatch(/^postgres:/);
    expect(image('kafka')).toMatch(/^apache\/kafka:3\.9\./);
    expect(environmentOf(compose.services.kafka!).KAFKA_PROCESS_ROLES).toBe('broker,controller');
    expect(image('anvil')).toMatch(/^ghcr\.io\/foundry-rs\/foundry:/);
    expect([compose.services.anvil!.entrypoint, compose.services.anvil!.command].flat().join(' ')).toMatch(/anvil.*--host 0\.0\.0\.0/);
    expect(image('eventstore')).toMatch(/eventstore\/eventstore|kurrentplatform\/kurrentdb/);
    // PostgreSQL is the default store: the EventStoreDB server starts only with its profile.
    expect(compose.services.eventstore!.profiles).toEqual(['eventstore']);
  });

  it('gives every server a health check', () => {
    expect(infraServices.length).toBeGreaterThanOrEqual(4);
    for (const [name, service] of infraServices) expect(healthcheckTest(service), `${name} has no health check`).toBeTruthy();
    expect(healthcheckTest(compose.services.postgres!)).toMatch(/pg_isready/);
  });
});

describe('docker-compose.yml: the Proofline roles', () => {
  it("runs only commands the CLI knows, with arguments it accepts", () => {
    expect(prooflineServices.length).toBeGreaterThan(0);
    const known = [...platformCommands, ...processes.map(({ command }) => command)];
    for (const [name, service] of prooflineServices) {
      const [command, ...args] = commandOf(name, service);
      expect(known, name).toContain(command);
      expect(() => rolesOf(name, service), name).not.toThrow();
      if (command === 'gateway') expect(gatewayWorkers(command, args), name).toBeGreaterThanOrEqual(1);
    }
  });

  it('runs every role of the CLI: two gateways, the relay, every projection, the anchorer, every context process', () => {
    const roles = prooflineServices.map(([name, service]) => rolesOf(name, service));
    expect(roles.filter((role) => role.gateway).length).toBeGreaterThanOrEqual(2);
    expect(roles.some((role) => role.relay)).toBe(true);
    expect(roles.some((role) => role.anchorer)).toBe(true);
    const projected = new Set(roles.flatMap((role) => role.projections.map((projection) => projection.name)));
    expect(projections.map((projection) => projection.name).filter((name) => !projected.has(name))).toEqual([]);
    const running = new Set(roles.flatMap((role) => role.processes.map((contextProcess) => contextProcess.command)));
    expect(processes.map(({ command }) => command).filter((command) => !running.has(command))).toEqual([]);
    // `background` and `start` bundle roles other services already run, twice over.
    expect(prooflineServices.map(([name, service]) => commandOf(name, service)[0])).not.toContain('background');
    expect(prooflineServices.map(([name, service]) => commandOf(name, service)[0])).not.toContain('start');
  });

  it('runs each on an environment loadConfig accepts, on PostgreSQL, Kafka and the compose chain', () => {
    for (const [name, service] of prooflineServices) {
      const environment = Object.fromEntries(Object.entries(environmentOf(service)).map(([key, value]) => [key, interpolate(value, USER_ENV)]));
      const config = loadConfig(environment);
      expect(config.databaseUrl, name).toMatch(/@postgres:5432\//);
      expect(config.kafkaBrokers, name).toEqual(['kafka:9092']);
      expect(config.chainRpcUrl, name).toBe('http://anvil:8545');
      expect(config.eventStoreUrl, `${name}: PostgreSQL is the default store`).toBeUndefined();
      expect(config.authSecret?.toString('hex'), name).toBe(USER_ENV.AUTH_SECRET);
    }
  });

  it('takes every secret from the environment, required, never a literal value', () => {
    for (const [name, service] of prooflineServices) {
      const environment = environmentOf(service);
      for (const secret of SECRETS) {
        expect(environment[secret], `${name}: ${secret}`).toMatch(new RegExp(`^\\$\\{${secret}:\\?[^}]+\\}$`));
        expect(() => interpolate(environment[secret]!, { ...USER_ENV, [secret]: undefined }), `${name}: ${secret} unset`).toThrow(/required variable/);
        expect(() => interpolate(environment[secret]!, { ...USER_ENV, [secret]: '' }), `${name}: ${secret} empty`).toThrow(/required variable/);
      }
    }
    // Nowhere else in the file either (another service, an anchor nobody merges): every key or list entry
    // setting one, comments aside.
    const assignments = [...read('docker-compose.yml').matchAll(new RegExp(`^\\s*(?:-\\s*)?["']?(${SECRETS.join('|')})["']?\\s*[:=]\\s*(.*)$`, 'gm'))];
    expect(assignments.length).toBeGreaterThan(0);
    for (const [line, secret, value] of assignments) expect(value, line).toMatch(new RegExp(`^\\$\\{${secret}:\\?`));
  });

  it('starts each once the servers it uses are healthy', () => {
    const healthy = new Set(infraServices.filter(([, service]) => healthcheckTest(service)).map(([name]) => name));
    for (const [name, service] of prooflineServices) {
      const dependencies = dependsOn(service);
      const roles = rolesOf(name, service);
      const needs = ['postgres', 'kafka', ...(roles.anchorer ? ['anvil'] : [])];
      for (const server of needs) expect(dependencies[server]?.condition, `${name} → ${server}`).toBe('service_healthy');
      for (const [dependency, { condition, required }] of Object.entries(dependencies)) {
        // A server is waited for until healthy; only the optional EventStoreDB may be absent.
        if (healthy.has(dependency)) expect(condition, `${name} → ${dependency}`).toBe('service_healthy');
        if (required === false) expect(compose.services[dependency]!.profiles, `${name} → ${dependency}`).toBeDefined();
      }
    }
  });

  it('lets the gateways reach each other by service name, on distinct host ports, and checks them on /readyz', () => {
    const gateways = prooflineServices.filter(([name, service]) => rolesOf(name, service).gateway);
    const hostPorts = new Set<string>();
    for (const [name, service] of gateways) {
      const environment = environmentOf(service);
      expect(environment.GATEWAY_INTERNAL_HOST, name).toBe(name);
      // 127.0.0.1 (the default) would be unreachable from the host's published port.
      expect(environment.HOST, name).toBe('0.0.0.0');
      expect(healthcheckTest(service), name).toContain(`127.0.0.1:${environment.PORT}/readyz`);
      for (const port of service.ports ?? []) hostPorts.add(String(port).split(':')[0]!);
    }
    expect(hostPorts.size).toBe(gateways.length);
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');
  const instructions = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .filter((line) => line.trim() && !line.trim().startsWith('#'))
    .map((line) => {
      const [keyword, ...rest] = line.trim().split(/\s+/);
      return { keyword: keyword!.toUpperCase(), value: rest.join(' ') };
    });
  const last = (keyword: string) => instructions.filter((instruction) => instruction.keyword === keyword).at(-1)?.value;

  it('builds on Node 20, runs as a user other than root, and enters through bin/proofline.js', () => {
    // Every stage (the console's build, then the image) is on the same Node 20.
    const stages = instructions.filter((instruction) => instruction.keyword === 'FROM').map((instruction) => instruction.value);
    expect(stages.at(-1)).toBe('node:20-bookworm-slim');
    for (const stage of stages) expect(stage).toMatch(/^node:20-bookworm-slim(\s+AS\s+[\w-]+)?$/i);
    expect(last('USER')).toBeDefined();
    expect(['root', '0']).not.toContain(last('USER'));
    expect(JSON.parse(last('ENTRYPOINT')!)).toEqual(['node', 'bin/proofline.js']);
    // Every Proofline service is built from it, and the CLI is what runs there.
    for (const [name, service] of prooflineServices) {
      expect(service.build === '.' || (service.build as { context?: string }).context === '.', name).toBe(true);
      expect(service.entrypoint, `${name} must not replace the image's entrypoint`).toBeUndefined();
    }
  });

  it('installs from the lockfile before copying the sources', () => {
    const install = instructions.findIndex((instruction) => instruction.keyword === 'RUN' && /\bnpm ci\b/.test(instruction.value));
    const sources = instructions.findIndex((instruction) => instruction.keyword === 'COPY' && /^\.\s/.test(instruction.value));
    expect(install).toBeGreaterThan(0);
    expect(sources).toBeGreaterThan(install);
  });

  it('leaves the host-only directories out of the build context', () => {
    const ignored = read('.dockerignore').split('\n').map((line) => line.trim());
    for (const entry of ['node_modules', '.proofline', '.git']) expect(ignored).toContain(entry);
  });

  it('omits devDependencies only because nothing the CLI loads imports one', () => {
    const manifest = JSON.parse(read('package.json')) as { dependencies: Record<string, string> };
    expect(Object.keys(manifest.dependencies)).toContain('tsx');
    const packages = runtimePackages('bin/proofline.js');
    expect(packages.size).toBeGreaterThan(5);
    const missing = [...packages].filter((name) => !(name in manifest.dependencies) && !builtinModules.includes(name.replace(/^node:/, '')) && !name.startsWith('node:'));
    if (/--omit=dev/.test(dockerfile)) expect(missing).toEqual([]);
  });
});

const IMPORT = /^\s*(import|export)\s+(type\s+)?[\w$*{}\s,]*?\s*from\s*['"]([^'"]+)['"]/gm;
const SIDE_EFFECT_IMPORT = /^\s*import\s*['"]([^'"]+)['"]/gm;
const DYNAMIC_IMPORT = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

/** The npm and node packages a file loads at run time, following its relative imports (type-only ones are erased). */
function runtimePackages(entry: string): Set<string> {
  const packages = new Set<string>();
  const seen = new Set<string>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const source = read(file);
    const specifiers = [
      ...[...source.matchAll(IMPORT)].filter((match) => !match[2]).map((match) => match[3]!),
      ...[...source.matchAll(SIDE_EFFECT_IMPORT)].map((match) => match[1]!),
      ...[...source.matchAll(DYNAMIC_IMPORT)].map((match) => match[1]!),
    ];
    for (const specifier of specifiers) {
      if (specifier.startsWith('.')) {
        queue.push(path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier)));
      } else {
        const parts = specifier.split('/');
        packages.add(specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!);
      }
    }
  }
  return packages;
}
