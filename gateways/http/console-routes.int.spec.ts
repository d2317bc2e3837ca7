// The browser console as the gateway serves it: a clear 503 before it is built, then the page with its own
// CSP (scripts from 'self' only; connect-src open to http(s) for the chain's JSON-RPC) and hashed assets
// cached for good; nothing outside the build directory is reachable.
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpFixture, type HttpFixture } from '../testing/http-fixture.ts';

let unbuilt: HttpFixture;
let built: HttpFixture;
let directory: string;

beforeAll(async () => {
  directory = await mkdtemp(path.join(tmpdir(), 'proofline-console-routes-'));
  const emptyDir = path.join(directory, 'empty');
  const buildDir = path.join(directory, 'dist');
  await mkdir(emptyDir);
  await mkdir(path.join(buildDir, 'console'), { recursive: true });
  await writeFile(path.join(buildDir, 'index.html'), '<!doctype html><title>console</title><script type="module" src="/console/index-Ab12_-x.js"></script>');
  await writeFile(path.join(buildDir, 'console', 'index-Ab12_-x.js'), 'export {};');
  await writeFile(path.join(directory, 'secret.txt'), 'not for the web');
  unbuilt = await createHttpFixture({ consoleDir: emptyDir });
  built = await createHttpFixture({ consoleDir: buildDir });
});
afterAll(async () => {
  await unbuilt?.close();
  await built?.close();
  await rm(directory, { recursive: true, force: true });
});

describe('GET /', () => {
  it('answers 503 console_not_built naming the build command while the console is not built, and serves the API meanwhile', async () => {
    const response = await unbuilt.app.inject({ url: '/' });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({ error: 'console_not_built', message: expect.stringContaining('npm run console:build') });
    expect((await unbuilt.app.inject({ url: '/healthz' })).statusCode).toBe(200);
  });

  it('serves the built page, always revalidated, with scripts from self only and the chain reachable over http(s)', async () => {
    const response = await built.app.inject({ url: '/' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    expect(response.headers['cache-control']).toBe('no-cache');
    const csp = String(response.headers['content-security-policy']).split(';');
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("connect-src 'self' http: https:");
    expect(csp).not.toContain('upgrade-insecure-requests');
    // Every other answer keeps helmet's policy, connect-src included (from default-src).
    expect(String((await built.app.inject({ url: '/healthz' })).headers['content-security-policy'])).not.toContain('connect-src');
  });
});

describe('GET /console/:file', () => {
  it('serves a hashed asset with a year-long immutable cache', async () => {
    const response = await built.app.inject({ url: '/console/index-Ab12_-x.js' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/javascript/);
    expect(response.headers['cache-control']).toBe('public, max-age=31536000, immutable');
  });

  it('answers 404 for a file the build does not have, and never a file outside the build', async () => {
    expect((await built.app.inject({ url: '/console/missing.js' })).json().error).toBe('not_found');
    expect((await built.app.inject({ url: '/console/..%2Fsecret.txt' })).statusCode).toBe(400);
    expect((await built.app.inject({ url: '/console/.hidden' })).statusCode).toBe(400);
    for (const url of ['/console/%2e%2e', '/console/..', '/console/../secret.txt', '/console/../../secret.txt', '/secret.txt']) {
      const response = await built.app.inject({ url });
      expect(response.body, `${url}: ${response.statusCode}`).not.toContain('not for the web');
    }
  });
});
