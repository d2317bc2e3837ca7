// The workplace context's read models.
import type { Projection } from '../projection.ts';
import { workplaceProjection } from './workplace-projection.ts';

export const workplaceProjections: readonly Projection[] = [workplaceProjection];
