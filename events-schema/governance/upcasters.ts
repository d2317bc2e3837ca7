// Governance upcasters, see ../upcasters.ts for when one is needed. Every governance event is at v1: none yet.
import type { Upcaster } from '../upcasters.ts';

export const governanceUpcasters: readonly Upcaster[] = [];
