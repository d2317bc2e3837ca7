import { describe, it } from 'vitest';
import type { ParticipantRegistered } from '../../events-schema/crawl/events.ts';
import { deciderSpec } from '../testing/decider-spec.ts';
import type { Caller } from './authority.ts';
import { participantDecider, type ParticipantCommand } from './participant.ts';

const spec = deciderSpec(participantDecider);
const now = Date.UTC(2030, 0, 1);
const OWNER = '0x52908400098527886E0F7030069857D2E4169EE7';
const owner: Caller = { subject: OWNER, grants: [] };
const stranger: Caller = { subject: '0x000000000000000000000000000000000000dEaD', grants: [] };
const admin: Caller = { subject: 'admin', keyId: 'a0a0a0a0a0a0a0a0', grants: [{ role: 'admin' }] };
const keyScopedTo = (scope: string): Caller => ({ subject: `key:${scope}`, keyId: 'b1b1b1b1b1b1b1b1', grants: [{ role: 'participant', scope }] });

const registered = (role: 'publisher' | 'platform' = 'publisher', recordedOwner = OWNER): ParticipantRegistered => ({
  type: 'ParticipantRegistered',
  data: { participantId: 'p1', role, name: 'Daily News', registeredAt: now - 1000, owner: recordedOwner },
});
const register = (by: Caller = owner, participantId = 'p1'): ParticipantCommand => ({
  type: 'RegisterParticipant',
  data: { participantId, role: 'platform', name: 'Crawler AI', now, by },
});
const setPrice = (pricePerCrawl: number, by: Caller = owner): ParticipantCommand => ({ type: 'SetPublisherPrice', data: { publisherId: 'p1', pricePerCrawl, now, by } });
const priceSet = (pricePerCrawl: number) => ({ type: 'PublisherPriceSet', data: { publisherId: 'p1', pricePerCrawl, setAt: now } }) as const;

describe('participant decider', () => {
  it('registers a publisher or a platform, owned by the subject that registers it', () => {
    spec
      .given([])
      .when(register())
      .then([{ type: 'ParticipantRegistered', data: { participantId: 'p1', role: 'platform', name: 'Crawler AI', registeredAt: now, owner: OWNER } }]);
  });

  it('refuses a second registration of the same id', () => {
    spec.given([registered()]).when(register(stranger)).thenThrows('participant_exists', { participantId: 'p1' });
  });

  it('sets a publisher’s price per crawl, in micro-units', () => {
    spec.given([registered()]).when(setPrice(2_500)).then([priceSet(2_500)]);
  });

  it('refuses a price for an unknown publisher, or for a platform', () => {
    spec.given([]).when(setPrice(1)).thenThrows('publisher_not_found');
    spec.given([registered('platform')]).when(setPrice(1)).thenThrows('not_a_publisher');
  });

  it.each([-1, 0.5, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 1, Number.NaN])('refuses a price that is not an exact non-negative amount: %s', (pricePerCrawl) => {
    spec.given([registered()]).when(setPrice(pricePerCrawl)).thenThrows('amount_out_of_range');
  });
});

describe('who may register and price a participant', () => {
  it('a key scoped to a participant registers that one, owned by the key’s subject, and no other', () => {
    spec
      .given([])
      .when(register(keyScopedTo('p1')))
      .then([{ type: 'ParticipantRegistered', data: { participantId: 'p1', role: 'platform', name: 'Crawler AI', registeredAt: now, owner: 'key:p1' } }]);
    spec.given([]).when(register(keyScopedTo('p2'))).thenThrows('forbidden', { participantId: 'p1', subject: 'key:p2' });
    // Refused as a scoped key before the id is looked at: it learns nothing about p1.
    spec.given([registered()]).when(register(keyScopedTo('p2'))).thenThrows('forbidden');
  });

  it('the price is set by the publisher’s owner, a key scoped to it or an admin', () => {
    for (const by of [owner, keyScopedTo('p1'), admin]) spec.given([registered()]).when(setPrice(700, by)).then([priceSet(700)]);
  });

  it('not by anyone else, another participant’s key included: 403 forbidden naming the publisher and the subject refused', () => {
    spec.given([registered()]).when(setPrice(700, stranger)).thenThrows('forbidden', { participantId: 'p1', subject: stranger.subject });
    spec.given([registered()]).when(setPrice(700, keyScopedTo('p2'))).thenThrows('forbidden', { participantId: 'p1', subject: 'key:p2' });
  });

  it('refuses a stranger before saying the participant is a platform, and before checking the amount', () => {
    spec.given([registered('platform')]).when(setPrice(700, stranger)).thenThrows('forbidden');
    spec.given([registered()]).when(setPrice(-1, stranger)).thenThrows('forbidden');
  });

  it('a participant registered before owners were recorded (owner "") is priced by an admin or its scoped key only', () => {
    spec.given([registered('publisher', '')]).when(setPrice(700, owner)).thenThrows('forbidden');
    spec.given([registered('publisher', '')]).when(setPrice(700, { subject: '', grants: [] })).thenThrows('forbidden');
    spec.given([registered('publisher', '')]).when(setPrice(700, admin)).then([priceSet(700)]);
    spec.given([registered('publisher', '')]).when(setPrice(700, keyScopedTo('p1'))).then([priceSet(700)]);
  });
});
