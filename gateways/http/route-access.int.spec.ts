// Every route the full gateway registers declares who may call it, and README.md documents exactly that.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditRoutesOnly, createHttpFixture, type HttpFixture } from '../testing/http-fixture.ts';
import { describePolicy } from './access-control.ts';

let fixture: HttpFixture;


beforeAll(async () => {
  fixture = await createHttpFixture({ readSide: 'fed-elsewhere', audit: auditRoutesOnly });
});
afterAll(async () => fixture.close());

/** `| \`GET /v1/log\` | admin, or role auditor |` rows of README's access table, in order. */
export function documentedAccess(readme: string): { route: string; who: string }[] {
  const section = readme.split('<!-- access:start -->')[1]?.split('<!-- access:end -->')[0] ?? '';
  return [...section.matchAll(/^\| `([A-Z]+ [^`]+)` \| (.+) \|$/gm)].map(([, route, who]) => ({ route: route!, who: who! }));
}

describe('route access policies', () => {
  it('are declared by every route of the full gateway (HEAD shares its GET route)', () => {
    const routes = fixture.app.routePolicies.filter(({ method }) => method !== 'HEAD');
    expect(routes.length).toBeGreaterThan(40);
    for (const { method, url, access } of routes) expect(access, `${method} ${url}`).toBeDefined();
    const heads = fixture.app.routePolicies.filter(({ method }) => method === 'HEAD');
    for (const head of heads) {
      // A plugin's '/' route under a prefix (the /docs page) is reported as GET /docs with HEAD /docs/ beside it.
      const get = routes.find(({ method, url }) => method === 'GET' && (url === head.url || `${url}/` === head.url));
      expect(get?.access, head.url).toEqual(head.access);
    }
  });

  it('are documented in README.md, route by route, exactly as declared', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const declared = fixture.app.routePolicies
      .filter(({ method }) => method !== 'HEAD')
      .map(({ method, url, access }) => ({ route: `${method} ${url}`, who: describePolicy(access) }));
    expect(documentedAccess(readme)).toEqual(declared);
  });
});
