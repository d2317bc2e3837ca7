// Upcasters: semantic fixes applied to old events after Avro schema resolution.
//
// Most evolution needs none: adding a field with a default, removing a field, renaming with an alias or
// widening int → long are all handled by Avro resolution alone. An upcaster is for changes of *meaning*
// that defaults and aliases cannot express, e.g. `weight` changing from a vote count to basis points
// (multiply old values by 100), a default that depends on other fields (derive `closesAt` from
// `createdAt`), or splitting one field into two.
//
// An upcaster registered for (type, fromVersion k) runs on every event written with version <= k, in
// version order, after resolution has already given the data the latest version's shape.
import { governanceUpcasters } from './governance/upcasters.ts';

/** Turns data written with `fromVersion` (already resolved into the latest shape) into what `fromVersion + 1` means. */
export type Upcaster = Readonly<{
  type: string;
  fromVersion: number;
  upcast: (data: Record<string, unknown>) => Record<string, unknown>;
}>;

export const upcasters: readonly Upcaster[] = [...governanceUpcasters];
