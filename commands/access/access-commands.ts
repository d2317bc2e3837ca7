// The access context's use cases: grant and revoke roles (admins only: the gateway's policy), and read the
// grants a subject holds now, from its stream (the write model, so a grant holds from the moment it is appended).
import type { EventStore } from '../../ports/event-store.ts';
import type { Grant } from '../actor.ts';
import { commandHandler, loadStream, type CommandContext } from '../command-core.ts';
import type { GrantInput } from './schemas.ts';
import { accessStreamId, subjectGrantsDecider } from './subject-grants.ts';

export type AccessCommands = ReturnType<typeof accessCommands>;

export function accessCommands(eventStore: EventStore, clock: () => number = Date.now) {
  const grants = commandHandler(eventStore, {
    context: 'access',
    decider: subjectGrantsDecider,
    streamId: (command) => accessStreamId(command.data.subject),
  });

  return {
    async grantRole(input: GrantInput, context: CommandContext) {
      const result = await grants.handle({ type: 'GrantRole', data: { subject: input.subject, role: input.role, scope: input.scope ?? null, now: clock() } }, context);
      return { lsn: result.lastLsn };
    },

    async revokeRole(input: GrantInput, context: CommandContext) {
      const result = await grants.handle({ type: 'RevokeRole', data: { subject: input.subject, role: input.role, scope: input.scope ?? null, now: clock() } }, context);
      return { lsn: result.lastLsn };
    },

    async grantsOf(subject: string): Promise<readonly Grant[]> {
      return (await loadStream(eventStore, subjectGrantsDecider, accessStreamId(subject))).state.grants;
    },
  };
}
