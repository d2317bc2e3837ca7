import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { errorRegistry } from './error-registry.ts';

describe('error registry', () => {
  it('is documented in README.md exactly: every code, status and meaning, nothing more', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const section = readme.split('<!-- errors:start -->')[1]?.split('<!-- errors:end -->')[0] ?? '';
    const documented = [...section.matchAll(/^\| `([a-z_]+)` \| (\d{3}) \| (.+) \|$/gm)].map(([, code, status, description]) => ({
      code,
      status: Number(status),
      description,
    }));
    const registered = Object.entries(errorRegistry).map(([code, { status, description }]) => ({ code, status, description }));
    expect(documented).toEqual(registered);
  });
});
