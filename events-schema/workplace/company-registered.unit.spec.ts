// CompanyRegistered v2 adds who registered the company; companies registered at v1 read with no registrant.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createEventRegistry } from '../event-registry.ts';
import { decodeEvent, encodeEvent, schemaVersions } from '../index.ts';

const v1 = JSON.parse(readFileSync(new URL('./CompanyRegistered.v1.avsc', import.meta.url), 'utf8')) as unknown;

describe('CompanyRegistered v2 (registeredBy)', () => {
  it('is the latest version', () => {
    expect(schemaVersions('CompanyRegistered').map((version) => version.version)).toEqual([1, 2]);
  });

  it('reads a company registered at v1 with registeredBy "", one registered now with its registrant', () => {
    const registered = { type: 'CompanyRegistered' as const, data: { companyId: 'acme', name: 'Acme', registeredAt: 1_763_769_600_000 } };
    const v1Bytes = createEventRegistry([{ context: 'workplace', fileName: 'CompanyRegistered.v1.avsc', schema: v1 }]).encode(registered);
    expect(decodeEvent(v1Bytes)).toStrictEqual({ ...registered, data: { ...registered.data, registeredBy: '' } });
    const v2 = { ...registered, data: { ...registered.data, registeredBy: '0x52908400098527886E0F7030069857D2E4169EE7' } };
    expect(decodeEvent(encodeEvent(v2))).toStrictEqual(v2);
  });
});
