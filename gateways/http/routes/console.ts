// The browser console (gateways/console/, built by `npm run console:build`): its page at `/` and its
// hashed assets at `/console/:file`, public, from the built directory. A gateway started before the build
// answers `/` with 503 console_not_built naming the command, and keeps serving the API.
//
// The page's CSP is helmet's with two changes, both for the auditor's page, which asks the chain's JSON-RPC
// itself at a URL the person auditing may choose (their own node: trusting the platform's suggestion would
// defeat the check): connect-src also allows any http(s) origin, and upgrade-insecure-requests is left out
// (it would silently rewrite a plain-http node's URL to https). Scripts stay 'self' only, and the page
// writes every value as text, never as HTML.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { access } from '../access-control.ts';
import { HttpError } from '../errors.ts';
import { helmetHeaders } from '../security-headers.ts';
import { errorResponses } from './schemas.ts';

/** Where `npm run console:build` writes the console. */
export const CONSOLE_DIST = fileURLToPath(new URL('../../console/dist/', import.meta.url));
export const CONSOLE_BUILD_COMMAND = 'npm run console:build';
/** The URL prefix of the console's assets (vite's `base`). */
export const CONSOLE_ASSETS_PREFIX = '/console/';

export type ConsoleRoutesOptions = { dir?: string };

/** helmet's CSP, with connect-src widened to http(s) for the chain's JSON-RPC (see above). */
export function consolePageCsp(): string {
  const dropped = ['connect-src', 'upgrade-insecure-requests'];
  const directives = (helmetHeaders()['content-security-policy'] ?? '').split(';').filter((directive) => directive !== '' && !dropped.some((name) => directive.startsWith(name)));
  return [...directives, "connect-src 'self' http: https:"].join(';');
}

export const consoleRoutes: FastifyPluginAsync<ConsoleRoutesOptions> = async (fastify, options) => {
  const dir = options.dir ?? CONSOLE_DIST;
  const csp = consolePageCsp();
  // serve: false: only the routes below, each declaring its access; sendFile brings ETag, 304 and types.
  await fastify.register(fastifyStatic, { root: dir, serve: false });
  const app = fastify.withTypeProvider<ZodTypeProvider>();

  app.get(
    '/',
    {
      config: { access: access.public },
      schema: { description: `The browser console (HTML). 503 console_not_built until \`${CONSOLE_BUILD_COMMAND}\` has run.`, response: errorResponses },
    },
    async (_request, reply) => {
      if (!existsSync(path.join(dir, 'index.html'))) {
        throw new HttpError('console_not_built', `the browser console is not built: run \`${CONSOLE_BUILD_COMMAND}\` and reload (the API is served meanwhile)`);
      }
      // The page names the hashed assets of the current build: always revalidated.
      reply.header('content-security-policy', csp).header('cache-control', 'no-cache');
      return reply.sendFile('index.html', dir, { cacheControl: false, etag: true, lastModified: true });
    },
  );

  app.get(
    `${CONSOLE_ASSETS_PREFIX}:file`,
    {
      config: { access: access.public },
      schema: {
        description: "The console's built assets; their names carry a content hash, so they are cached for good.",
        params: z.object({ file: z.string().regex(/^[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}$/, 'a file name of the build') }),
        response: errorResponses,
      },
    },
    async (request, reply) => {
      const { file } = request.params;
      if (!existsSync(path.join(dir, 'console', file))) throw new HttpError('not_found', `no console asset ${file}${existsSync(dir) ? '' : ` (the console is not built: run \`${CONSOLE_BUILD_COMMAND}\`)`}`);
      return reply.sendFile(file, path.join(dir, 'console'), { immutable: true, maxAge: '365d' });
    },
  );
};
