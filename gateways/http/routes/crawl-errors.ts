// The crawl context's error codes (merged into the registry in ../error-registry.ts).
import { DISPUTE_WINDOW_DAYS } from '../../../events-schema/crawl/rules.ts';
import type { ErrorDefinition } from '../errors.ts';

export const crawlErrors = {
  participant_exists: { status: 409, description: 'A participant with this id is already registered.' },
  publisher_not_found: { status: 404, description: 'No publisher has this id.' },
  platform_not_found: { status: 404, description: 'No AI platform has this id (or it has no escrow yet).' },
  crawl_not_found: { status: 404, description: 'No crawl with this id is billed to this platform within the dispute window (older crawls are kept only while disputed).' },
  payout_not_found: { status: 404, description: 'The publisher is owed nothing for this day.' },
  not_a_publisher: { status: 422, description: 'The participant is a platform; only publishers set prices and are paid.' },
  not_a_platform: { status: 422, description: 'The participant is a publisher; only platforms deposit and are billed.' },
  amount_out_of_range: { status: 422, description: 'An amount must be a positive safe integer of micro-units, and a balance may not exceed one.' },
  price_not_set: { status: 409, description: 'The publisher has not set a price per crawl yet.' },
  insufficient_escrow: { status: 409, description: 'The platform’s escrow cannot cover this crawl; nothing was billed.' },
  crawl_already_billed: { status: 409, description: 'A crawl with this id is already billed.' },
  crawl_already_disputed: { status: 409, description: 'The crawl is already disputed.' },
  crawl_already_refunded: { status: 409, description: 'The crawl is already refunded.' },
  dispute_window_closed: { status: 409, description: `The crawl was billed more than ${DISPUTE_WINDOW_DAYS} days ago and can no longer be disputed.` },
  not_crawl_publisher: { status: 422, description: 'Only the publisher that billed a crawl can refund it.' },
} as const satisfies Record<string, ErrorDefinition>;
