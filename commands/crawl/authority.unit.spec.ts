import { describe, expect, it } from 'vitest';
import { actsFor, isScopedKey, mayNotRegister, mayRegister, notActingFor, type Caller } from './authority.ts';

const OWNER = '0x52908400098527886E0F7030069857D2E4169EE7';
const owner: Caller = { subject: OWNER, grants: [] };
const stranger: Caller = { subject: '0x000000000000000000000000000000000000dEaD', grants: [] };
const admin: Caller = { subject: 'admin', keyId: 'a0a0a0a0a0a0a0a0', grants: [{ role: 'admin' }] };
const keyScopedTo = (scope: string, subject = `key:${scope}`): Caller => ({ subject, keyId: 'b1b1b1b1b1b1b1b1', grants: [{ role: 'participant', scope }] });
/** A wallet an admin granted `participant` for pub-1 (a grant, not a key). */
const granted: Caller = { subject: '0x1111111111111111111111111111111111111111', grants: [{ role: 'participant', scope: 'pub-1' }] };
/** An operator's key with `participant` everywhere: a grant without scope holds for every participant. */
const operator: Caller = { subject: 'market-operator', keyId: 'c2c2c2c2c2c2c2c2', grants: [{ role: 'participant' }] };

describe('who acts for a participant', () => {
  it('its owner, an admin, a key scoped to it, a holder of a grant for it, a holder of role participant everywhere', () => {
    for (const caller of [owner, admin, keyScopedTo('pub-1'), granted, operator]) expect(actsFor(caller, 'pub-1', OWNER), caller.subject).toBe(true);
  });

  it('not a stranger, nor a key or a grant scoped to another participant', () => {
    expect(actsFor(stranger, 'pub-1', OWNER)).toBe(false);
    expect(actsFor(keyScopedTo('pub-2'), 'pub-1', OWNER)).toBe(false);
    expect(actsFor(granted, 'pub-2', OWNER)).toBe(false);
  });

  it('compares subjects exactly as recorded: the owner’s address in another casing is someone else', () => {
    expect(actsFor({ subject: OWNER.toLowerCase(), grants: [] }, 'pub-1', OWNER)).toBe(false);
  });

  it('a key scoped to another participant acts only there, even when its subject owns this one', () => {
    expect(actsFor(keyScopedTo('pub-2', OWNER), 'pub-1', OWNER)).toBe(false);
    // The same subject signed in (or with an unscoped key) does own it.
    expect(actsFor({ subject: OWNER, keyId: 'd3d3d3d3d3d3d3d3', grants: [{ role: 'auditor' }] }, 'pub-1', OWNER)).toBe(true);
  });

  it('a participant with no recorded owner (registered before owners were) is acted for by an admin or a key scoped to it only', () => {
    expect(actsFor(admin, 'pub-1', '')).toBe(true);
    expect(actsFor(keyScopedTo('pub-1'), 'pub-1', '')).toBe(true);
    expect(actsFor(owner, 'pub-1', '')).toBe(false);
    expect(actsFor({ subject: '', grants: [] }, 'pub-1', '')).toBe(false);
  });
});

describe('who may register a participant', () => {
  it('any signed-in subject, an unscoped key, an admin, a key scoped to that very participant', () => {
    for (const caller of [owner, stranger, admin, operator, keyScopedTo('pub-1'), granted]) expect(mayRegister(caller, 'pub-1'), caller.subject).toBe(true);
  });

  it('not a key scoped to another participant, nor a key scoped to anything of another role', () => {
    expect(mayRegister(keyScopedTo('pub-2'), 'pub-1')).toBe(false);
    expect(mayRegister({ subject: 'acme', keyId: 'e4e4e4e4e4e4e4e4', grants: [{ role: 'company', scope: 'pub-1' }] }, 'pub-1')).toBe(false);
  });

  it('a scoped key is a key every grant of which names a scope; a signed-in wallet with scoped grants is not one', () => {
    expect(isScopedKey(keyScopedTo('pub-1'))).toBe(true);
    expect(isScopedKey(granted)).toBe(false);
    expect(isScopedKey(operator)).toBe(false);
  });
});

describe('the refusals name what is missing', () => {
  it('for acting: the owner, the role and scope, or admin; for a scoped key, what it holds', () => {
    const refusal = notActingFor(keyScopedTo('pub-2'), 'pub-1', 'set the price of pub-1');
    expect(refusal).toMatchObject({ code: 'forbidden', details: { participantId: 'pub-1', subject: 'key:pub-2' } });
    expect(refusal.message).toBe(
      'key:pub-2 may not set the price of pub-1: that takes the owner of pub-1, role participant for pub-1, or admin; key b1b1b1b1b1b1b1b1 holds participant for pub-2 and acts for nothing else',
    );
    expect(notActingFor(stranger, 'pub-1', 'x').message).not.toMatch(/holds/);
  });

  it('for registering: role participant for that id', () => {
    expect(mayNotRegister(keyScopedTo('pub-2'), 'pub-1')).toMatchObject({ code: 'forbidden', message: expect.stringContaining('that takes role participant for pub-1') });
  });
});
