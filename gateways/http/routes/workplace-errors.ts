// The workplace context's error codes (merged into the registry in ../errors.ts).
import type { ErrorDefinition } from '../errors.ts';

export const workplaceErrors = {} as const satisfies Record<string, ErrorDefinition>;
