// ParticipantRegistered v2 records the participant's owner; a participant registered at v1 reads with none ('').
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createEventRegistry } from '../event-registry.ts';
import { decodeEvent, encodeEvent, schemaVersions } from '../index.ts';

const v1Schema = JSON.parse(readFileSync(new URL('./ParticipantRegistered.v1.avsc', import.meta.url), 'utf8')) as unknown;
const registration = { type: 'ParticipantRegistered', data: { participantId: 'pub-1', role: 'publisher', name: 'Daily News', registeredAt: 1_763_769_600_000 } } as const;

describe('ParticipantRegistered v2 (owner)', () => {
  it('is the version written now', () => {
    expect(schemaVersions('ParticipantRegistered').map((version) => version.version)).toEqual([1, 2]);
  });

  it('reads a participant registered at v1 with no owner (""), one registered now with its owner', () => {
    const v1Bytes = createEventRegistry([{ context: 'crawl', fileName: 'ParticipantRegistered.v1.avsc', schema: v1Schema }]).encode(registration);
    expect(decodeEvent(v1Bytes)).toStrictEqual({ ...registration, data: { ...registration.data, owner: '' } });
    const v2 = { ...registration, data: { ...registration.data, owner: '0x52908400098527886E0F7030069857D2E4169EE7' } } as const;
    expect(decodeEvent(encodeEvent(v2))).toStrictEqual(v2);
  });
});
