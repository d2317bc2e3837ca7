// Given/When/Then for deciders: given past events, when a command, then these events or this refusal.
// Every state and event the decider is handed is frozen first, so a decide or evolve that mutates what it
// was given (instead of returning something new) fails the spec that exercises it.
import { isImmutable } from 'immutable';
import { expect } from 'vitest';
import type { Event } from '../../events-schema/event.ts';
import { DomainError, type Command, type Decider } from '../decider.ts';

export function deciderSpec<State, C extends Command, E extends Event>(decider: Decider<State, C, E>) {
  return {
    given(events: E[]) {
      return {
        when(command: C) {
          const run = () => decider.decide(deepFreeze(command), frozenFold(decider, events));
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

/** The fold of `events`, each state frozen before evolve sees it. */
export function frozenFold<State, E extends Event>(decider: Pick<Decider<State, never, E>, 'evolve' | 'initialState'>, events: readonly E[]): State {
  return events.reduce((state, event) => decider.evolve(deepFreeze(state), deepFreeze(event)), decider.initialState());
}

/** Freezes plain objects, arrays, Maps and Sets all the way down (persistent collections are immutable already). */
export function deepFreeze<T>(value: T): T {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value) || isImmutable(value)) return value;
  if (value instanceof Map || value instanceof Set) {
    for (const method of ['set', 'add', 'delete', 'clear'] as const) {
      if (method in value) Object.defineProperty(value, method, { value: () => { throw new TypeError(`a ${value.constructor.name} in frozen state was changed`); } });
    }
    for (const entry of value instanceof Map ? [...value.keys(), ...value.values()] : [...value]) deepFreeze(entry);
  } else if (!ArrayBuffer.isView(value)) {
    for (const property of Object.values(value)) deepFreeze(property);
  }
  return ArrayBuffer.isView(value) ? value : Object.freeze(value);
}
