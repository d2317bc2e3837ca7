// Given/When/Then for deciders: given past events, when a command, then these events or this refusal.
import { expect } from 'vitest';
import type { Event } from '../../events-schema/event.ts';
import { DomainError, fold, type Command, type Decider } from '../decider.ts';

export function deciderSpec<State, C extends Command, E extends Event>(decider: Decider<State, C, E>) {
  return {
    given(events: E[]) {
      return {
        when(command: C) {
          const run = () => decider.decide(command, fold(decider, events));
          return {
            then(expected: E[]) {
              expect(run()).toEqual(expected);
            },
            thenThrows(code: string, details?: Record<string, unknown>) {
              let thrown: unknown;
              try {
                run();
              } catch (error) {
                thrown = error;
              }
              expect(thrown, `expected DomainError ${code}`).toBeInstanceOf(DomainError);
              expect((thrown as DomainError).code).toBe(code);
              if (details) expect((thrown as DomainError).details).toMatchObject(details);
            },
          };
        },
      };
    },
  };
}
