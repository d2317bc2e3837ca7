// The CLI's commands as the contexts list makes them: each context's process is a command of its own and
// part of `start`, and every projection can be run by name.
import { describe, expect, it } from 'vitest';
import { processes, projections } from '../contexts/index.ts';
import { gatewayWorkers, platformCommands, rolesFor, USAGE } from './commands.ts';

describe('proofline <command>', () => {
  it('background runs every projection and every context’s process, and the relay only with Kafka, but no gateway', () => {
    expect(rolesFor('background', [], false)).toMatchObject({ gateway: false, relay: false, anchorer: true, projections, processes });
    expect(rolesFor('background', [], true)?.relay).toBe(true);
    expect(rolesFor('background', ['--adopt-empty-topics'], true)?.adoptEmptyTopics).toBe(true);
  });

  it('start and gateway run one gateway worker per core unless --workers says how many; other commands one', () => {
    expect(gatewayWorkers('start', [], 4)).toBe(4);
    expect(gatewayWorkers('gateway', [], 2)).toBe(2);
    expect(gatewayWorkers('gateway', ['--workers', '3'], 2)).toBe(3);
    expect(gatewayWorkers('start', ['--adopt-empty-topics', '--workers', '1'], 2)).toBe(1);
    expect(gatewayWorkers('relay', [], 8)).toBe(1);
    for (const bad of [[], ['0'], ['-1'], ['two'], ['1.5'], ['1000']]) {
      expect(() => gatewayWorkers('gateway', ['--workers', ...bad], 2)).toThrow(/--workers needs a whole number of workers from 1 to 999/);
    }
  });

  it('deadlines runs the workplace engagement deadline process alone', () => {
    const roles = rolesFor('deadlines', [], false);
    expect(roles).toMatchObject({ gateway: false, relay: false, anchorer: false, projections: [] });
    expect(roles?.processes.map(({ name, readsReadModels }) => ({ name, readsReadModels }))).toEqual([{ name: 'engagement-deadlines', readsReadModels: true }]);
  });

  it('transfers runs the impact transfer completion process alone', () => {
    const roles = rolesFor('transfers', [], false);
    expect(roles).toMatchObject({ gateway: false, relay: false, anchorer: false, projections: [] });
    expect(roles?.processes.map(({ name, readsReadModels }) => ({ name, readsReadModels }))).toEqual([{ name: 'impact-transfers', readsReadModels: true }]);
    expect(processes.map(({ name }) => name)).toContain('impact-transfers');
  });

  it('settlement runs the assets settlement process alone', () => {
    const roles = rolesFor('settlement', [], false);
    expect(roles).toMatchObject({ gateway: false, relay: false, anchorer: false, projections: [] });
    expect(roles?.processes.map(({ name, readsReadModels }) => ({ name, readsReadModels }))).toEqual([{ name: 'assets-settlement', readsReadModels: true }]);
    expect(processes.map(({ name }) => name)).toContain('assets-settlement');
  });

  it('project <name> runs that projection, for each projection of the platform', () => {
    for (const projection of projections) expect(rolesFor('project', [projection.name], false)?.projections).toEqual([projection]);
    expect(() => rolesFor('project', ['ledger'], false)).toThrow(/unknown projection "ledger"/);
  });

  it('gives each context’s process a command that is no platform command, and lists it in the help', () => {
    expect(processes.length).toBeGreaterThan(0);
    for (const { command, usage } of processes) {
      expect(platformCommands).not.toContain(command);
      expect(rolesFor(command, [], false)?.processes.map((p) => p.command)).toEqual([command]);
      expect(USAGE).toContain(`\n  ${command.padEnd(27)}${usage.split('\n')[0]}`);
    }
    expect(USAGE).toContain(`projections: ${projections.map((p) => p.name).join(', ')}`);
  });

  it('lists the operator commands (keys, analyst-role, status, login) in the help, as platform commands that run no role', () => {
    for (const line of [
      'keys create --role <role> [--scope <id>] [--subject <name>]',
      'keys list [--json]',
      'keys revoke <keyId>',
      'analyst-role create [--login <name>]',
      'status [--json]',
      'login --dev-wallet [--as <name>] [--url http://HOST:PORT]',
    ]) {
      expect(USAGE).toContain(`\n  ${line}`);
    }
    expect(platformCommands).toEqual(expect.arrayContaining(['keys', 'analyst-role', 'status', 'login']));
    expect(rolesFor('keys', ['list'], false)).toBeUndefined();
    expect(rolesFor('analyst-role', ['create'], false)).toBeUndefined();
    expect(rolesFor('status', [], false)).toBeUndefined();
  });

  it('knows no other command', () => {
    expect(rolesFor('ledger', [], false)).toBeUndefined();
  });
});
