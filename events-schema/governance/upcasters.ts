// Governance upcasters, see ../upcasters.ts for when one is needed. None yet: DecisionCreated v2 only adds
// `createdBy`, whose default ('' = no known creator, so an admin's to close) says what a v1 event means.
import type { Upcaster } from '../upcasters.ts';

export const governanceUpcasters: readonly Upcaster[] = [];
