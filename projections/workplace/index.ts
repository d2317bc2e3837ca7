// The workplace context's read models.
import type { Projection } from '../projection.ts';

export const workplaceProjections: readonly Projection[] = [];
