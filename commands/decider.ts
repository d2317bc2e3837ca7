// The decider pattern: pure functions from (command, state) to events and from (state, event) to state.
import type { Event } from '../events-schema/event.ts';

export type Command<Type extends string = string, Data extends Record<string, unknown> = Record<string, unknown>> = Readonly<{
  type: Type;
  data: Readonly<Data>;
}>;

export type Decider<State, C extends Command, E extends Event> = {
  decide(command: C, state: State): E[];
  evolve(state: State, event: E): State;
  initialState(): State;
};

/**
 * How a decider's state is written to a snapshot and read back (JSON), for streams too long to fold from
 * the start on every load. `schemaVersion` names the JSON's shape and the evolve it was folded by: a
 * snapshot of another version is ignored. decode(encode(s)) decides every command as s does.
 */
export type StateCodec<State> = {
  schemaVersion: number;
  encode(state: State): unknown;
  /** Throws on JSON that is not a state of this version. */
  decode(json: unknown): State;
};

/**
 * A business rule refused the command. `code` is stable and mapped to an HTTP status by the gateway's
 * error registry; `details` carries the facts that explain the refusal.
 */
export class DomainError extends Error {
  override readonly name = 'DomainError';
  constructor(
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export function assertNever(value: never): never {
  throw new Error(`unhandled case: ${JSON.stringify(value)}`);
}
