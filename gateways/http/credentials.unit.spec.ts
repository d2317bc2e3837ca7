import { describe, expect, it } from 'vitest';
import { bearerCredentialOf } from './credentials.ts';

describe('bearerCredentialOf', () => {
  const token = 'A'.repeat(43);
  const key = `pl_0123456789abcdef_${'b'.repeat(43)}`;
  it('reads a session token shaped like ours', () => {
    expect(bearerCredentialOf(`Bearer ${token}`)).toEqual({ kind: 'session', token });
    expect(bearerCredentialOf(`bearer ${token}`)).toEqual({ kind: 'session', token });
  });
  it('reads an API key and its id', () => {
    expect(bearerCredentialOf(`Bearer ${key}`)).toEqual({ kind: 'key', keyId: '0123456789abcdef', key });
  });
  it('refuses a missing header, another scheme or a credential of another shape', () => {
    expect(bearerCredentialOf(undefined)).toBeUndefined();
    expect(bearerCredentialOf(`Basic ${token}`)).toBeUndefined();
    expect(bearerCredentialOf('Bearer short')).toBeUndefined();
    expect(bearerCredentialOf(`Bearer ${token} extra`)).toBeUndefined();
    expect(bearerCredentialOf(`Bearer pl_0123456789ABCDEF_${'b'.repeat(43)}`)).toBeUndefined();
    expect(bearerCredentialOf(`Bearer ${key}x`)).toBeUndefined();
  });
});
