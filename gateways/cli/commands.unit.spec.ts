// The CLI's commands as the contexts list makes them: each context's process is a command of its own and
// part of `start`, and every projection can be run by name.
import { describe, expect, it } from 'vitest';
import { processes, projections } from '../contexts/index.ts';
import { platformCommands, rolesFor, USAGE } from './commands.ts';

describe('proofline <command>', () => {
  it('start runs every projection and every context’s process, and the relay only with Kafka', () => {
    expect(rolesFor('start', [], false)).toMatchObject({ gateway: true, relay: false, anchorer: true, projections, processes });
    expect(rolesFor('start', [], true)?.relay).toBe(true);
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

  it('lists the operator commands (keys, login) in the help, as platform commands that run no role', () => {
    for (const line of ['keys create --role <role> [--scope <id>] [--subject <name>]', 'keys list [--json]', 'keys revoke <keyId>', 'login --dev-wallet [--as <name>] [--url http://HOST:PORT]']) {
      expect(USAGE).toContain(`\n  ${line}`);
    }
    expect(platformCommands).toEqual(expect.arrayContaining(['keys', 'login']));
    expect(rolesFor('keys', ['list'], false)).toBeUndefined();
  });

  it('knows no other command', () => {
    expect(rolesFor('ledger', [], false)).toBeUndefined();
  });
});
