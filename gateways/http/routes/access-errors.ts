// The access context's error codes (merged into the registry in ../error-registry.ts).
import type { ErrorDefinition } from '../errors.ts';

export const accessErrors = {
  grant_not_found: { status: 404, description: 'The subject holds no such grant (role and scope) to revoke.' },
} as const satisfies Record<string, ErrorDefinition>;
