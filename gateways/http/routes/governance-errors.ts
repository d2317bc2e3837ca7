// The governance context's error codes (merged into the registry in ../error-registry.ts).
import { MAX_OPTIONS, MIN_OPTIONS } from '../../../events-schema/governance/rules.ts';
import type { ErrorDefinition } from '../errors.ts';

export const governanceErrors = {
  decision_not_found: { status: 404, description: 'No decision has this id.' },
  already_voted: { status: 409, description: 'This voter has already voted on this decision.' },
  decision_closed: { status: 409, description: 'The decision is closed (by hand or by its deadline).' },
  decision_exists: { status: 409, description: 'A decision with this id already exists.' },
  unknown_option: { status: 422, description: 'The vote names an option the decision does not offer.' },
  duplicate_options: { status: 422, description: 'A decision’s options must be distinct.' },
  invalid_option_count: { status: 422, description: `A decision has ${MIN_OPTIONS} to ${MAX_OPTIONS} options.` },
  closes_at_in_past: { status: 422, description: '`closesAt` must be in the future.' },
} as const satisfies Record<string, ErrorDefinition>;
