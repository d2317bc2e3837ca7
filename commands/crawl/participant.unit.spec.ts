import { describe, it } from 'vitest';
import { deciderSpec } from '../testing/decider-spec.ts';
import { participantDecider } from './participant.ts';

const spec = deciderSpec(participantDecider);
const now = Date.UTC(2030, 0, 1);
const registered = (role: 'publisher' | 'platform' = 'publisher') =>
  ({ type: 'ParticipantRegistered', data: { participantId: 'p1', role, name: 'Daily News', registeredAt: now - 1000 } }) as const;

describe('participant decider', () => {
  it('registers a publisher or a platform', () => {
    spec
      .given([])
      .when({ type: 'RegisterParticipant', data: { participantId: 'p1', role: 'platform', name: 'Crawler AI', now } })
      .then([{ type: 'ParticipantRegistered', data: { participantId: 'p1', role: 'platform', name: 'Crawler AI', registeredAt: now } }]);
  });

  it('refuses a second registration of the same id', () => {
    spec
      .given([registered()])
      .when({ type: 'RegisterParticipant', data: { participantId: 'p1', role: 'publisher', name: 'x', now } })
      .thenThrows('participant_exists', { participantId: 'p1' });
  });

  it('sets a publisher’s price per crawl, in micro-units', () => {
    spec
      .given([registered()])
      .when({ type: 'SetPublisherPrice', data: { publisherId: 'p1', pricePerCrawl: 2_500, now } })
      .then([{ type: 'PublisherPriceSet', data: { publisherId: 'p1', pricePerCrawl: 2_500, setAt: now } }]);
  });

  it('refuses a price for an unknown publisher, or for a platform', () => {
    spec.given([]).when({ type: 'SetPublisherPrice', data: { publisherId: 'p1', pricePerCrawl: 1, now } }).thenThrows('publisher_not_found');
    spec
      .given([registered('platform')])
      .when({ type: 'SetPublisherPrice', data: { publisherId: 'p1', pricePerCrawl: 1, now } })
      .thenThrows('not_a_publisher');
  });

  it.each([-1, 0.5, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 1, Number.NaN])('refuses a price that is not an exact non-negative amount: %s', (pricePerCrawl) => {
    spec.given([registered()]).when({ type: 'SetPublisherPrice', data: { publisherId: 'p1', pricePerCrawl, now } }).thenThrows('amount_out_of_range');
  });
});
