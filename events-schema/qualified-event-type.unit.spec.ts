import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { encodeEvent, eventTypes, schemaVersions, writerSchemaOf } from './index.ts';
import { eventTypeOfHeader, qualifiedEventType } from './qualified-event-type.ts';
import { eventSamples } from './testing/event-samples.ts';

describe('the qualified event type', () => {
  it.each(Object.values(eventSamples))('of $type is the Avro full name and version of its schema, which names the schema file', (event) => {
    const writer = writerSchemaOf(encodeEvent(event));
    const latest = schemaVersions(event.type).at(-1)!;
    const qualified = qualifiedEventType(writer);
    expect(qualified).toBe(`${latest.schema.namespace as string}.${latest.schema.name as string}.v${latest.version}`);
    const [, context, type, version] = /^proofline\.(\w+)\.(\w+)\.(v\d+)$/.exec(qualified)!;
    expect(existsSync(new URL(`./${context}/${type}.${version}.avsc`, import.meta.url))).toBe(true);
    expect(eventTypeOfHeader(qualified)).toBe(event.type);
  });

  it('reads the bare type older records carry as that type', () => {
    for (const type of eventTypes()) expect(eventTypeOfHeader(type)).toBe(type);
  });
});
