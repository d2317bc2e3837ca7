// workplace commands and queries over HTTP.
import type { FastifyPluginAsync } from 'fastify';
import type { ContextRoutesOptions } from './context-routes.ts';

export const workplaceRoutes: FastifyPluginAsync<ContextRoutesOptions> = async () => {};
