// The shape every domain event has in memory: a type tag and read-only data.
export type Event<Type extends string = string, Data extends Record<string, unknown> = Record<string, unknown>> = Readonly<{
  type: Type;
  data: Readonly<Data>;
}>;

/**
 * Every type of the event union `E`, as a list. Given as the keys of an object so that the compiler refuses
 * a type of `E` left out and a name that is not one of them.
 */
export function eventTypesOf<E extends Event>(types: { readonly [T in E['type']]: true }): readonly E['type'][] {
  return Object.keys(types) as E['type'][];
}
