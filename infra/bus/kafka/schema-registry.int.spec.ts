// The schema registry client against a real registry (Apicurio's Confluent-compatible API, or
// SCHEMA_REGISTRY_URL): every schema version registered under TopicRecordNameStrategy with BACKWARD
// compatibility, idempotently; ids that resolve back to the same schema; an incompatible version refused by
// the registry itself, and a relay that stops for good, saying so, when the registry refuses its schemas.
import { afterEach, describe, expect, it } from 'vitest';
import { eventTypes, parsingCanonicalForm, schemaVersions } from '../../../events-schema/index.ts';
import { testKafkaBrokers, testTopicName } from '../../testing/kafka.ts';
import { testSchemaRegistryUrl } from '../../testing/schema-registry.ts';
import { createRelay } from './relay.ts';
import {
  canonicalFormOf,
  createSchemaRegistryClient,
  registerEventSchemas,
  SchemaRegistryRefusedError,
  subjectName,
} from './schema-registry.ts';
import { openStoreFixture, type StoreFixture } from './test-support.ts';
import { kafkaTopic } from './topics.ts';

const voteSubject = (prefix: string) => subjectName(kafkaTopic('governance', prefix), 'proofline.governance.VoteCast');

describe('registering the event schemas', () => {
  it('registers every version under <topic>-<record full name>, BACKWARD, idempotently, and each id resolves to its schema', async () => {
    const url = testSchemaRegistryUrl();
    const client = createSchemaRegistryClient(url);
    const prefix = testTopicName('registry');
    const first = await registerEventSchemas(client, prefix);
    const versions = eventTypes().flatMap((type) => schemaVersions(type).map(({ version }) => `${type} v${version}`));
    expect(first.map(({ type, version }) => `${type} v${version}`)).toEqual(versions);
    expect(first.find(({ type }) => type === 'VoteCast')?.subject).toBe(voteSubject(prefix));
    expect(new Set(first.map(({ id }) => id)).size).toBe(first.length);

    const again = await registerEventSchemas(client, prefix);
    expect(again).toEqual(first);

    for (const { type, version, id } of first) {
      const ours = schemaVersions(type).find((entry) => entry.version === version)!.schema;
      expect(canonicalFormOf(await client.schemaById(id)), `${type} v${version} (id ${id})`).toBe(parsingCanonicalForm(ours));
    }
    const config = await fetch(`${url}/config/${encodeURIComponent(voteSubject(prefix))}`).then((response) => response.json());
    expect(config).toMatchObject({ compatibilityLevel: 'BACKWARD' });
  });

  it('is refused (409) for a version the latest one cannot be read by: a new field without a default', async () => {
    const client = createSchemaRegistryClient(testSchemaRegistryUrl());
    const prefix = testTopicName('registry-refusal');
    await registerEventSchemas(client, prefix);
    const latest = schemaVersions('VoteCast').at(-1)!.schema as { fields: object[] };
    const incompatible = { ...latest, fields: [...latest.fields, { name: 'ballotBox', type: 'string' }] };
    const refusal = await client.register(voteSubject(prefix), incompatible).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(SchemaRegistryRefusedError);
    expect(refusal).toMatchObject({ status: 409, subject: voteSubject(prefix) });
    // With a default the same field is a compatible change: the registry takes it.
    const compatible = { ...latest, fields: [...latest.fields, { name: 'ballotBox', type: 'string', default: '' }] };
    await expect(client.register(voteSubject(prefix), compatible)).resolves.toEqual(expect.any(Number));
  });
});

describe('a relay whose schemas the registry refuses', () => {
  let fixture: StoreFixture | undefined;
  afterEach(async () => {
    await fixture?.close();
  });

  it('stops for good with SchemaRegistryRefusedError naming the subject, before publishing anything', async () => {
    fixture = await openStoreFixture();
    await fixture.appendGovernance(1, 1);
    const client = createSchemaRegistryClient(testSchemaRegistryUrl());
    const prefix = testTopicName('registry-relay');
    // Another VoteCast took the subject first: ours (v1) cannot read it.
    await client.register(voteSubject(prefix), { type: 'record', name: 'VoteCast', namespace: 'proofline.governance', fields: [{ name: 'other', type: 'string' }] });
    const relay = createRelay({
      eventStore: fixture.store,
      db: fixture.db,
      kafka: { brokers: testKafkaBrokers() },
      topicPrefix: prefix,
      schemaRegistry: client,
      valueFormat: 'confluent',
      reconnectBackoff: { initialMs: 10, maxMs: 10 },
    });
    const outcome = await relay.run(new AbortController().signal).catch((error: unknown) => error);
    expect(outcome).toBeInstanceOf(SchemaRegistryRefusedError);
    expect(outcome).toMatchObject({ status: 409, subject: voteSubject(prefix) });
  });
});
