// List routes answer CSV with `Accept: text/csv`: the JSON answer's rows, row for row, under a header that
// comes from the response schema; the next page in `Link` / `X-Next-Cursor`; errors still JSON; a JSON-only
// route asked for CSV only answers 406. Every route whose answer is a list is one of them, or is named below
// with the reason it is not.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditReader } from '../../ports/read-models/anchoring.ts';
import { createHttpFixture, type Credential, type HttpFixture } from '../testing/http-fixture.ts';
import { expectError } from '../testing/http-expectations.ts';

const CSV = 'text/csv';
const hex32 = (digit: string) => `0x${digit.repeat(64)}` as const;

/** Anchoring is not what is tested here: a reader with one anchored page of batches and a proof for every event. */
const audit: AuditReader = {
  eventProof: async (eventId) => ({
    status: 'anchored', eventId, lsn: 1, batchId: 1, leaf: hex32('a'), streamHash: hex32('b'), payloadHash: hex32('c'), proof: [hex32('d'), hex32('e')],
    root: hex32('f'), contract: '0x5FbDB2315678afecb367f032d93F642f64180aa3', chainId: '31337', txHash: hex32('1'), verifiedOnChain: true,
  }),
  batches: async ({ cursor }) =>
    cursor === 'older'
      ? { batches: [{ batchId: 1, fromLsn: 1, toLsn: 5, root: hex32('2'), status: 'anchored', txHash: hex32('3') }], nextCursor: null }
      : { batches: [{ batchId: 2, fromLsn: 6, toLsn: 9, root: hex32('4'), status: 'stored', txHash: null }], nextCursor: 'older' },
  batch: async () => null,
  contract: async () => ({ contract: '0x5FbDB2315678afecb367f032d93F642f64180aa3', chainId: '31337' }),
  eventLsn: async () => 1,
};

/**
 * GET routes whose JSON answer holds an array of objects but that are not lists, and so answer JSON only.
 * A route that answers a list and is neither here nor opted in (config.csv) fails the enumeration test.
 */
const NOT_LISTS: Record<string, string> = {
  'GET /v1/companies/{id}/engagement': 'one company’s engagement: the current one and its history, not a collection',
  'GET /v1/impact/metrics': 'a report of two collections (by day, by category) and a total: one CSV table would drop the rest',
  'GET /v1/assets/{id}': 'one asset; its creators and their shares are part of it',
  'GET /v1/auth/me': 'the caller’s identity; its roles are part of it',
};

let fixture: HttpFixture;
let admin: Credential;
let headLsn: number;
let company: string;
let asset: string;
let wallet: string;

beforeAll(async () => {
  fixture = await createHttpFixture({ readSide: true, audit, consistencyTimeoutMs: 5000 });
  admin = fixture.admin;
  const post = async (url: string, payload: object, as: Credential = admin, method: 'POST' | 'PUT' = 'POST') => {
    const response = await fixture.app.inject({ method, url, payload, headers: as });
    if (response.statusCode >= 300) throw new Error(`${method} ${url}: ${response.statusCode} ${response.body}`);
    return response.json();
  };
  // Titles that need quoting, and one a spreadsheet would run as a formula.
  for (const title of ['Park, or "parking"?', '=HYPERLINK("http://evil")', 'Plain title', '-2+3 lanes', '@noon'])
    await post('/v1/decisions', { decisionId: `d-${randomUUID()}`, title, options: ['yes', 'no'] });
  for (const subject of ['key:clerk', 'key:archivist']) await fixture.grant(subject, 'auditor');
  company = (await post('/v1/companies', { companyId: 'acme-csv', name: 'Acme, Inc.' })).companyId;
  await post('/v1/participants', { participantId: 'plat-csv', role: 'platform', name: 'Crawler' });
  await post('/v1/participants', { participantId: 'pub-csv', role: 'publisher', name: 'Daily' });
  await post('/v1/publishers/pub-csv/price', { pricePerCrawl: 2500 }, admin, 'PUT');
  await post('/v1/platforms/plat-csv/deposits', { amount: 1_000_000 });
  for (const n of [1, 2]) await post('/v1/crawls', { crawlId: `c-${n}`, platformId: 'plat-csv', publisherId: 'pub-csv', url: `https://daily.example/a,b?n=${n}`, bytes: 1000 * n });
  const creator = await fixture.signIn();
  wallet = creator.subject;
  asset = `a-${randomUUID()}`;
  await post('/v1/assets', { assetId: asset, name: 'Blade, "tidal"', assetType: 'patent', price: 10_000_000, royaltyBps: 1000, creators: [{ address: wallet, shareBps: 10_000 }], contentHash: hex32('9') }, creator);
  headLsn = await fixture.headLsn();
});
afterAll(async () => fixture?.close());

const get = (url: string, accept?: string, as: Credential = admin) => fixture.app.inject({ url, headers: { ...as, ...(accept === undefined ? {} : { accept }) } });

/** RFC 4180 records, parsed independently of the encoder: quoted fields, doubled quotes, CRLF record ends. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') record.push(field), (field = '');
    else if (char === '\r' && text[i + 1] === '\n') record.push(field), records.push(record), (record = []), (field = ''), i++;
    else if (char === '\n' || char === '\r') throw new Error(`a bare line break outside quotes at ${i}`);
    else field += char;
  }
  if (field !== '' || record.length > 0) throw new Error('the last record is not ended with CRLF');
  return records;
}

/** What a JSON value should read as in its cell: null empty, objects and arrays JSON, formula-like text guarded. */
function expectedCell(value: unknown, isJsonColumn: boolean): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  const text = typeof value === 'string' && !isJsonColumn ? value : JSON.stringify(value);
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}

function valueAt(row: unknown, column: string): unknown {
  return column.split('.').reduce<unknown>((value, key) => (value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined), row);
}

/** The CSV and the JSON answer of one URL: same rows in the same order, cell by cell. */
async function expectCsvMatchesJson(url: string, rowsField: string, as: Credential = admin): Promise<{ header: string[]; rows: string[][]; json: Record<string, unknown> }> {
  const [csv, json] = [await get(url, CSV, as), await get(url, 'application/json', as)];
  expect(csv.statusCode, `${url}: ${csv.body}`).toBe(200);
  expect(json.statusCode, `${url}: ${json.body}`).toBe(200);
  expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8; header=present');
  expect(csv.headers['content-disposition']).toMatch(/^attachment; filename="[A-Za-z0-9_-]+\.csv"$/);
  expect(csv.headers.vary).toMatch(/\bAccept\b/);
  expect(json.headers.vary).toMatch(/\bAccept\b/);
  const [header = [], ...rows] = parseCsv(csv.body);
  const body = json.json() as Record<string, unknown>;
  const jsonRows = body[rowsField] as Record<string, unknown>[];
  expect(rows.length, url).toBe(jsonRows.length);
  jsonRows.forEach((row, index) => {
    const expected = header.map((column) => {
      const value = valueAt(row, column);
      return expectedCell(value, value !== null && typeof value === 'object');
    });
    expect(rows[index], `${url} row ${index}`).toEqual(expected);
  });
  return { header, rows, json: body };
}

type Operation = { description?: string; responses: Record<string, { content?: Record<string, { schema: JsonSchema }> }> };
type JsonSchema = { type?: string | string[]; properties?: Record<string, JsonSchema>; items?: JsonSchema; anyOf?: JsonSchema[]; description?: string };

async function openApiGetOperations(): Promise<[string, Operation][]> {
  const document = (await fixture.app.inject({ url: '/openapi.json' })).json() as { paths: Record<string, Record<string, Operation>> };
  return Object.entries(document.paths).flatMap(([path, methods]) => (methods.get ? [[`GET ${path}`, methods.get] as [string, Operation]] : []));
}

const isObjectSchema = (schema: JsonSchema | undefined): boolean =>
  !!schema && (schema.type === 'object' || (Array.isArray(schema.type) && schema.type.includes('object')) || !!schema.anyOf?.some(isObjectSchema));

/** Top-level fields of a JSON answer that are arrays of objects: what makes an answer a list. */
function arraysOfObjects(schema: JsonSchema | undefined): string[] {
  return Object.entries(schema?.properties ?? {}).filter(([, field]) => (field.type === 'array' || (Array.isArray(field.type) && field.type.includes('array'))) && isObjectSchema(field.items)).map(([name]) => name);
}

describe('a list route asked for text/csv', () => {
  it('answers the JSON answer’s rows as RFC 4180 CSV, formula-like text guarded, and pages through Link to the same rows as JSON', async () => {
    const url = `/v1/decisions?limit=2&consistentWith=${headLsn}`;
    const first = await expectCsvMatchesJson(url, 'decisions');
    expect(first.header).toEqual(['decisionId', 'title', 'status', 'closesAt', 'createdAt', 'votes']);
    expect(first.rows).toHaveLength(2);
    const response = await get(url, CSV);
    expect(response.body.endsWith('\r\n')).toBe(true);
    const nextCursor = first.json.nextCursor as string;
    expect(response.headers['x-next-cursor']).toBe(nextCursor);
    expect(response.headers['x-as-of-lsn']).toBe(String(first.json.asOfLsn));
    const link = /^<([^>]+)>; rel="next"$/.exec(String(response.headers.link))?.[1];
    expect(link).toBeDefined();
    expect(new URL(link!, 'http://gateway').searchParams.get('cursor')).toBe(nextCursor);
    expect(new URL(link!, 'http://gateway').searchParams.get('limit')).toBe('2');

    // Following the links gives every decision once, in the JSON order.
    const titles: string[] = [];
    let next: string | undefined = url;
    for (let pages = 0; next && pages < 10; pages++) {
      const page = await get(next, CSV);
      const [header = [], ...rows] = parseCsv(page.body);
      titles.push(...rows.map((row) => row[header.indexOf('title')]!));
      next = /^<([^>]+)>; rel="next"$/.exec(String(page.headers.link ?? ''))?.[1];
    }
    const all = (await get(`/v1/decisions?limit=200&consistentWith=${headLsn}`)).json().decisions as { title: string }[];
    expect(titles).toEqual(all.map(({ title }) => expectedCell(title, false)));
    expect(titles).toEqual(expect.arrayContaining(['Park, or "parking"?', `'=HYPERLINK("http://evil")`, `'-2+3 lanes`, `'@noon`, 'Plain title']));
    expect((await get(`/v1/decisions?limit=200&consistentWith=${headLsn}`, CSV)).body).toContain('"Park, or ""parking""?"');
  });

  it('puts records and nested objects in JSON text and dotted columns (the log; an asset’s provenance with its proofs)', async () => {
    const log = await expectCsvMatchesJson('/v1/log?limit=50', 'events');
    expect(log.header).toEqual(['eventId', 'type', 'streamId', 'revision', 'lsn', 'data', 'metadata', 'recordedAt']);
    expect(log.rows.length).toBeGreaterThan(5);
    expect(JSON.parse(log.rows[0]![log.header.indexOf('data')]!)).toEqual((log.json.events as { data: unknown }[])[0]!.data);
    expect(log.json).not.toHaveProperty('nextCursor');

    const provenance = await expectCsvMatchesJson(`/v1/assets/${asset}/provenance?consistentWith=${headLsn}`, 'events');
    expect(provenance.header).toEqual(expect.arrayContaining(['proof.batchId', 'proof.root', 'proof.proof', 'proof.verifiedOnChain', 'data']));
    expect(JSON.parse(provenance.rows[0]![provenance.header.indexOf('proof.proof')]!)).toEqual([hex32('d'), hex32('e')]);
  });

  it('answers crawls, grants, the watch list, wallet transactions and audit batches row for row, with the cursor of a next page', async () => {
    const crawls = await expectCsvMatchesJson(`/v1/crawls?platformId=plat-csv&consistentWith=${headLsn}`, 'crawls');
    expect(crawls.rows.map((row) => row[crawls.header.indexOf('url')])).toEqual(['https://daily.example/a,b?n=2', 'https://daily.example/a,b?n=1']);
    const grants = await expectCsvMatchesJson(`/v1/admin/grants?consistentWith=${headLsn}`, 'grants');
    expect(grants.rows.map((row) => row[grants.header.indexOf('subject')])).toEqual(expect.arrayContaining(['key:clerk', 'key:archivist']));
    await expectCsvMatchesJson(`/v1/watch-list?consistentWith=${headLsn}`, 'companies');
    await expectCsvMatchesJson(`/v1/wallets/${wallet}/transactions?consistentWith=${headLsn}`, 'transactions');
    const batches = await get('/v1/audit/batches', CSV);
    expect(batches.headers['x-next-cursor']).toBe('older');
    expect(batches.headers.link).toBe('</v1/audit/batches?cursor=older>; rel="next"');
    const older = await get(String(batches.headers.link).slice(1, String(batches.headers.link).indexOf('>')), CSV);
    expect(parseCsv(older.body)).toEqual([['batchId', 'fromLsn', 'toLsn', 'root', 'txHash', 'status'], ['1', '1', '5', hex32('2'), hex32('3'), 'anchored']]);
    expect(older.headers.link).toBeUndefined();
    expect(older.headers['x-next-cursor']).toBeUndefined();
  });

  it('answers just the header row for an empty list, the columns coming from the schema', async () => {
    const response = await get(`/v1/quests?consistentWith=${headLsn}`, CSV);
    expect(response.statusCode).toBe(200);
    const records = parseCsv(response.body);
    expect(records).toHaveLength(1);
    expect(records[0]!.length).toBeGreaterThan(3);
    expect(records[0]).toContain('questId');
  });

  it('answers JSON for */*, no Accept, a JSON preference or a type it cannot serve', async () => {
    for (const accept of [undefined, '*/*', 'application/json', 'application/json, text/csv;q=0.5', 'text/html']) {
      const response = await get('/v1/decisions', accept);
      expect(response.statusCode, String(accept)).toBe(200);
      expect(response.headers['content-type'], String(accept)).toBe('application/json; charset=utf-8');
    }
    expect((await get('/v1/decisions', 'application/json;q=0.4, text/csv;q=0.8')).headers['content-type']).toMatch(/^text\/csv/);
  });
});

describe('errors asked for as CSV', () => {
  it('stay JSON problem bodies: an invalid query, an unknown resource, a missing credential', async () => {
    const invalid = await get('/v1/decisions?limit=0', CSV);
    expectError(invalid, 400, 'invalid_request');
    expect(invalid.headers['content-type']).toMatch(/^application\/json/);
    const unknown = await get('/v1/assets/nope/provenance', CSV);
    expectError(unknown, 404, 'asset_not_found');
    expect(unknown.headers['content-type']).toMatch(/^application\/json/);
    const anonymous = await fixture.app.inject({ url: '/v1/admin/grants', headers: { accept: CSV } });
    expectError(anonymous, 401, 'unauthenticated');
  });

  it('a route that is not a list, asked for text/csv only, answers 406 not_acceptable and runs nothing', async () => {
    const refused = await get(`/v1/companies/${company}/score`, CSV);
    expectError(refused, 406, 'not_acceptable');
    expect(refused.json().message).toContain('/v1/companies/:id/score');
    const before = await fixture.headLsn();
    expectError(await fixture.app.inject({ method: 'POST', url: '/v1/decisions', payload: { title: 'T', options: ['a', 'b'] }, headers: { ...admin, accept: CSV } }), 406, 'not_acceptable');
    expect(await fixture.headLsn()).toBe(before);
    // JSON still acceptable: JSON.
    expect((await get(`/v1/companies/${company}/score`, 'text/csv, application/json;q=0.1')).statusCode).toBe(200);
  });
});

describe('every list route', () => {
  it('is documented with text/csv (its header row in the description) or is named as not a list, with why', async () => {
    const operations = await openApiGetOperations();
    const undeclared = operations
      .filter(([route, operation]) => {
        const ok = operation.responses['200']?.content;
        const isList = arraysOfObjects(ok?.['application/json']?.schema).length > 0;
        return isList && !ok?.[CSV] && !(route in NOT_LISTS);
      })
      .map(([route]) => route);
    expect(undeclared).toEqual([]);
    for (const route of Object.keys(NOT_LISTS)) expect(operations.map(([name]) => name), route).toContain(route);
  });

  it('answers CSV whose header is the documented one and whose rows are its JSON rows', async () => {
    const firstStream = ((await get('/v1/log?limit=1')).json().events as { streamId: string }[])[0]!.streamId;
    const samples: Record<string, string> = {
      'GET /v1/decisions': `/v1/decisions?consistentWith=${headLsn}`,
      'GET /v1/watch-list': `/v1/watch-list?consistentWith=${headLsn}`,
      'GET /v1/companies/{id}/certifications': `/v1/companies/${company}/certifications?consistentWith=${headLsn}`,
      'GET /v1/crawls': `/v1/crawls?consistentWith=${headLsn}`,
      'GET /v1/settlements/{day}': `/v1/settlements/2026-01-01?consistentWith=${headLsn}`,
      'GET /v1/platforms/{id}/spend': `/v1/platforms/plat-csv/spend?consistentWith=${headLsn}`,
      'GET /v1/publishers/{id}/revenue': `/v1/publishers/pub-csv/revenue?consistentWith=${headLsn}`,
      'GET /v1/leaderboards/{region}': `/v1/leaderboards/north?consistentWith=${headLsn}`,
      'GET /v1/quests': `/v1/quests?consistentWith=${headLsn}`,
      'GET /v1/impact/ledger': `/v1/impact/ledger?month=2026-01&consistentWith=${headLsn}`,
      'GET /v1/assets': `/v1/assets?consistentWith=${headLsn}`,
      'GET /v1/assets/{id}/provenance': `/v1/assets/${asset}/provenance?consistentWith=${headLsn}`,
      'GET /v1/wallets/{address}/transactions': `/v1/wallets/${wallet}/transactions?consistentWith=${headLsn}`,
      'GET /v1/market/daily': `/v1/market/daily?consistentWith=${headLsn}`,
      'GET /v1/admin/grants': `/v1/admin/grants?consistentWith=${headLsn}`,
      'GET /v1/admin/keys': '/v1/admin/keys',
      'GET /v1/admin/parked': '/v1/admin/parked',
      'GET /v1/log': '/v1/log',
      'GET /v1/streams/{streamId}/events': `/v1/streams/${encodeURIComponent(firstStream)}/events`,
      'GET /v1/audit/batches': '/v1/audit/batches',
    };
    const csvRoutes = (await openApiGetOperations()).filter(([, operation]) => operation.responses['200']?.content?.[CSV]);
    expect(csvRoutes.map(([route]) => route).sort()).toEqual(Object.keys(samples).sort());
    for (const [route, operation] of csvRoutes) {
      const content = operation.responses['200']!.content!;
      const rowsField = /CSV \(CRLF line ends\) of `([A-Za-z]+)`/.exec(content[CSV]!.schema.description ?? '')?.[1];
      expect(arraysOfObjects(content['application/json']!.schema), route).toContain(rowsField);
      const documentedHeader = /header row: ([^ ]+)\. /.exec(content[CSV]!.schema.description ?? '')?.[1]?.split(',');
      const { header } = await expectCsvMatchesJson(samples[route]!, rowsField!);
      expect(header, route).toEqual(documentedHeader);
    }
  });
});
