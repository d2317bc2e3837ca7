// List routes answer CSV as well as JSON. A route opts in with `config: { csv: { rows: '<array field>' } }`;
// when the request's Accept prefers text/csv, its 200 answer — already checked against its response schema —
// is written as CSV of that field's rows. What the rows leave out of the envelope goes in headers: the next
// page as `Link: <…?cursor=…>; rel="next"` and `X-Next-Cursor`, the read model's point as `X-As-Of-Lsn` (on
// JSON answers too, so a client can page the same way in both). Errors stay JSON problem bodies. A JSON
// route asked for text/csv and nothing it serves answers 406 `not_acceptable`, before any work.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { preferredType } from './accept.ts';
import { CSV_CONTENT_TYPE, CSV_MEDIA_TYPE, csvColumns, encodeCsv, unwrapped, type CsvColumn } from './csv.ts';
import { HttpError } from './errors.ts';

const JSON_MEDIA_TYPE = 'application/json';

/** A list route's CSV: `rows` names the top-level array of its 200 answer whose items are the CSV's rows. */
export type CsvListing = { readonly rows: string };

declare module 'fastify' {
  interface FastifyContextConfig {
    csv?: CsvListing;
  }
  interface FastifyRequest {
    /** The client asked this list route for CSV. */
    answersCsv: boolean;
  }
}

export class InvalidCsvListingError extends Error {
  override readonly name = 'InvalidCsvListingError';
}

type Listing = { rows: string; columns: CsvColumn[]; filename: string };

/** The columns of `rows` in a route's 200 schema; throws at registration when the field is not a list of objects. */
export function listingOf(url: string, answer: unknown, rows: string): Listing {
  const shape = answer instanceof z.ZodType ? unwrapped(answer) : undefined;
  const field = shape instanceof z.ZodObject ? (shape.shape as Record<string, z.ZodType>)[rows] : undefined;
  const list = field ? unwrapped(field) : undefined;
  if (!(list instanceof z.ZodArray)) throw new InvalidCsvListingError(`route ${url}: config.csv.rows names ${rows}, which is not an array field of its 200 response schema`);
  return { rows, columns: csvColumns(list.element as z.ZodType), filename: filenameOf(url) };
}

/** `/v1/wallets/:address/transactions` → `wallets-transactions.csv`. */
function filenameOf(url: string): string {
  const segments = url.split('/').filter((segment) => segment && segment !== 'v1' && !segment.startsWith(':'));
  return `${segments.join('-').replace(/[^A-Za-z0-9_-]/g, '_') || 'list'}.csv`;
}

/**
 * Register before the routes, after the access control (a refused caller gets 401/403, not 406). The hooks are
 * attached to the routes that need them, as they are registered: a JSON route pays one string test per request.
 */
export function registerCsvAnswers(app: FastifyInstance): void {
  app.decorateRequest('answersCsv', false);

  app.addHook('onRoute', (route) => {
    const csv = route.config?.csv;
    if (csv) {
      if (![route.method].flat().every((method) => method === 'GET' || method === 'HEAD')) throw new InvalidCsvListingError(`route ${String(route.method)} ${route.url}: config.csv is for GET list routes`);
      const listing = listingOf(route.url, (route.schema?.response as Record<string, unknown> | undefined)?.['200'], csv.rows);
      route.onRequest = [...hooksOf(route.onRequest), chooseFormat];
      route.preSerialization = [...hooksOf(route.preSerialization), pagingHeaders];
      route.onSend = [...hooksOf(route.onSend), csvAnswer(listing)];
      return;
    }
    // Only the routes that answer JSON bodies: /metrics, /docs and the like serve other types of their own.
    if (route.schema?.response) route.onRequest = [...hooksOf(route.onRequest), refuseCsvOnly];
  });
}

function hooksOf<T>(hooks: T | T[] | undefined): T[] {
  return hooks === undefined ? [] : Array.isArray(hooks) ? hooks : [hooks];
}

function chooseFormat(request: FastifyRequest, _reply: FastifyReply, done: () => void): void {
  request.answersCsv = preferredType(request.headers.accept, [JSON_MEDIA_TYPE, CSV_MEDIA_TYPE]) === CSV_MEDIA_TYPE;
  done();
}

function refuseCsvOnly(request: FastifyRequest, _reply: FastifyReply, done: (error?: Error) => void): void {
  const accept = request.headers.accept;
  if (accept === undefined || accept === '*/*' || accept === JSON_MEDIA_TYPE) return done(); // the common answers, without parsing
  if (preferredType(accept, [JSON_MEDIA_TYPE]) === undefined && preferredType(accept, [CSV_MEDIA_TYPE]) !== undefined) {
    return done(new HttpError('not_acceptable', `${request.method} ${request.routeOptions.url} answers ${JSON_MEDIA_TYPE} only (text/csv is served by list routes): ask with Accept: ${JSON_MEDIA_TYPE}`));
  }
  done();
}

function pagingHeaders(request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (error: null, payload: unknown) => void): void {
  if (reply.statusCode === 200 && payload !== null && typeof payload === 'object') {
    const { nextCursor, asOfLsn } = payload as { nextCursor?: unknown; asOfLsn?: unknown };
    if (typeof nextCursor === 'string') {
      reply.header('link', `<${urlWithCursor(request.url, nextCursor)}>; rel="next"`);
      reply.header('x-next-cursor', nextCursor);
    }
    if (typeof asOfLsn === 'number') reply.header('x-as-of-lsn', String(asOfLsn));
  }
  done(null, payload);
}

function csvAnswer(listing: Listing) {
  return (request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (error: null, payload: unknown) => void): void => {
    appendVary(reply, 'Accept');
    if (!request.answersCsv || reply.statusCode !== 200 || typeof payload !== 'string') return done(null, payload);
    // The serialized answer: exactly what the route's response schema let through, as the JSON answer is.
    const rows = (JSON.parse(payload) as Record<string, unknown>)[listing.rows];
    reply.header('content-type', CSV_CONTENT_TYPE);
    reply.header('content-disposition', `attachment; filename="${listing.filename}"`);
    done(null, encodeCsv(listing.columns, Array.isArray(rows) ? rows : []));
  };
}

/** The request's own path and query with `cursor` set; characters a Link target may not hold are escaped. */
function urlWithCursor(requestUrl: string, cursor: string): string {
  const [path = '/', query = ''] = requestUrl.split('?', 2);
  const parameters = new URLSearchParams(query);
  parameters.set('cursor', cursor);
  return `${path.replace(/[^A-Za-z0-9\-._~!$&'()*+,;=:@/%]/g, (character) => encodeURIComponent(character))}?${parameters}`;
}

function appendVary(reply: FastifyReply, field: string): void {
  const current = reply.getHeader('vary');
  const fields = typeof current === 'string' ? current.split(',').map((name) => name.trim()).filter(Boolean) : [];
  if (!fields.some((name) => name.toLowerCase() === field.toLowerCase() || name === '*')) reply.header('vary', [...fields, field].join(', '));
}
