// A small client of a Confluent-compatible schema registry API (Confluent Schema Registry, Apicurio's
// /apis/ccompat/v7, Redpanda), over plain fetch: the four calls the relay and the Kafka source need.
//
// Subject strategy: TopicRecordNameStrategy, `<topic>-<record full name>`, e.g.
// `proofline.governance.v1-proofline.governance.VoteCast`: one subject per event type and topic, so every
// event type of a context's topic evolves on its own, and BACKWARD compatibility (set on each subject) means
// each new version can read the one before it. Confluent deserializers configured with that strategy (or
// none: they only need the id) read our records.
import { contextOf, eventTypes, fingerprint64, parsingCanonicalForm, recordFullName, schemaVersions } from '../../../events-schema/index.ts';
import { kafkaTopic } from './topics.ts';

export type SchemaRegistryClient = {
  /** The subject's id for this schema, registering it when the subject does not hold it yet. */
  register(subject: string, schema: object): Promise<number>;
  /** Sets the subject's compatibility level (e.g. BACKWARD). */
  setCompatibility(subject: string, level: CompatibilityLevel): Promise<void>;
  /** The schema text registered under an id. */
  schemaById(id: number): Promise<string>;
};

export type CompatibilityLevel = 'BACKWARD' | 'BACKWARD_TRANSITIVE' | 'FORWARD' | 'FULL' | 'NONE';

/** The registry answered, and refused (e.g. 409: the schema is not compatible with the subject's versions). */
export class SchemaRegistryRefusedError extends Error {
  override readonly name = 'SchemaRegistryRefusedError';
  constructor(
    readonly status: number,
    readonly subject: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';

/**
 * `url` is the API's base, e.g. http://127.0.0.1:8081/apis/ccompat/v7; a user and password in it are sent as
 * HTTP basic credentials (fetch refuses URLs that carry them).
 */
export function createSchemaRegistryClient(url: string, options: { timeoutMs?: number } = {}): SchemaRegistryClient {
  const base = new URL(url.replace(/\/+$/, ''));
  const headers: Record<string, string> = { accept: CONTENT_TYPE, 'content-type': CONTENT_TYPE };
  if (base.username || base.password) {
    headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(base.username)}:${decodeURIComponent(base.password)}`).toString('base64')}`;
    base.username = '';
    base.password = '';
  }
  const root = base.href.replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? 10_000;

  async function call(method: string, path: string, body: unknown, subject?: string): Promise<{ status: number; json: Record<string, unknown> }> {
    const response = await fetch(`${root}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    let json: Record<string, unknown> = {};
    try {
      json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      json = { message: text.slice(0, 200) };
    }
    if (response.status >= 500) throw new Error(`schema registry ${method} ${path} answered ${response.status}: ${String(json.message ?? text.slice(0, 200))}`);
    if (response.status >= 400 && response.status !== 404) {
      throw new SchemaRegistryRefusedError(response.status, subject, `schema registry refused ${method} ${path} (${response.status}): ${String(json.message ?? text.slice(0, 200))}`);
    }
    return { status: response.status, json };
  }

  const subjectPath = (subject: string) => `/subjects/${encodeURIComponent(subject)}`;

  return {
    async register(subject, schema) {
      const body = { schemaType: 'AVRO', schema: JSON.stringify(schema) };
      // Looked up first: registering a version that is already there must not be judged against later ones.
      const found = await call('POST', subjectPath(subject), body, subject);
      if (found.status === 200 && typeof found.json.id === 'number') return found.json.id;
      const registered = await call('POST', `${subjectPath(subject)}/versions`, body, subject);
      if (registered.status === 404 || typeof registered.json.id !== 'number') {
        throw new SchemaRegistryRefusedError(registered.status, subject, `schema registry did not register a version of ${subject}: ${JSON.stringify(registered.json)}`);
      }
      return registered.json.id;
    },
    async setCompatibility(subject, level) {
      const { status } = await call('PUT', `/config/${encodeURIComponent(subject)}`, { compatibility: level }, subject);
      if (status === 404) throw new SchemaRegistryRefusedError(404, subject, `schema registry has no subject ${subject} to set compatibility on`);
    },
    async schemaById(id) {
      const { status, json } = await call('GET', `/schemas/ids/${id}`, undefined);
      if (status === 404 || typeof json.schema !== 'string') throw new SchemaRegistryRefusedError(status, undefined, `schema registry has no schema with id ${id}`);
      return json.schema;
    },
  };
}

/** TopicRecordNameStrategy: `<topic>-<record full name>`. */
export function subjectName(topic: string, recordFullName: string): string {
  return `${topic}-${recordFullName}`;
}

export type RegisteredSchema = { type: string; version: number; subject: string; fingerprintHex: string; id: number };

/**
 * Registers every version of every event type, oldest first, under its topic's subject with BACKWARD
 * compatibility; idempotent. Returns what was registered, in order. Throws SchemaRegistryRefusedError when
 * the registry refuses a version (an incompatible change: 409).
 */
export async function registerEventSchemas(client: SchemaRegistryClient, topicPrefix: string): Promise<RegisteredSchema[]> {
  // Subjects are independent: registered side by side (a relay starts sooner), each one's versions in order.
  const perType = await Promise.all(
    eventTypes().map(async (type) => {
      const subject = subjectName(kafkaTopic(contextOf(type), topicPrefix), recordFullName(type));
      const registered: RegisteredSchema[] = [];
      for (const { version, fingerprintHex, schema } of schemaVersions(type)) {
        // The level is set once the subject exists (some registries refuse a config for an unknown subject),
        // and before a second version is judged by it.
        const id = await client.register(subject, schema);
        if (version === 1) await client.setCompatibility(subject, 'BACKWARD');
        registered.push({ type, version, subject, fingerprintHex, id });
      }
      return registered;
    }),
  );
  return perType.flat();
}

/**
 * Registry id → the single-object fingerprint of that schema (hex, wire byte order), asked once per id.
 * The Kafka source turns a Confluent-framed record into the single-object bytes the rest of Proofline reads.
 */
export function schemaIdResolver(client: SchemaRegistryClient): (id: number) => Promise<Buffer> {
  const known = new Map<number, Promise<Buffer>>();
  return (id) => {
    let fingerprint = known.get(id);
    if (!fingerprint) {
      fingerprint = client.schemaById(id).then((text) => fingerprint64(JSON.parse(text) as object));
      fingerprint.catch(() => known.delete(id)); // a failed lookup is asked again next time
      known.set(id, fingerprint);
    }
    return fingerprint;
  };
}

/** The Parsing Canonical Form of a registry's schema text, to compare it with ours. */
export function canonicalFormOf(schemaText: string): string {
  return parsingCanonicalForm(JSON.parse(schemaText) as object);
}
