import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CRC64_AVRO_EMPTY, crc64Avro, fingerprint64, parsingCanonicalForm } from './avro/fingerprint.ts';

const schemaFile = (name: string) => JSON.parse(readFileSync(new URL(`./governance/${name}`, import.meta.url), 'utf8'));

// Reference values computed with Apache Avro's Java implementation (org.apache.avro:avro:1.12.0,
// SchemaNormalization.parsingFingerprint64 and SchemaNormalization.toParsingForm), on Java 17.
// `le` is the 8-byte little-endian form that single-object encoding carries.
const javaReference = [
  { label: '"null"', schema: 'null', fp64: 0x63dd24e7cc258f8an, le: '8a8f25cce724dd63' },
  { label: '"int"', schema: 'int', fp64: 0x7275d51a3f395c8fn, le: '8f5c393f1ad57572' },
  { label: '"string"', schema: 'string', fp64: 0x8f014872634503c7n, le: 'c70345637248018f' },
  { label: 'DecisionCreated v1', schema: schemaFile('DecisionCreated.v1.avsc'), fp64: 0x00db4158a7d537b1n, le: 'b137d5a75841db00' },
  { label: 'VoteCast v1', schema: schemaFile('VoteCast.v1.avsc'), fp64: 0x91839990baefaef5n, le: 'f5aeefba90998391' },
  { label: 'DecisionClosed v1', schema: schemaFile('DecisionClosed.v1.avsc'), fp64: 0xb8d872853f80dd30n, le: '30dd803f8572d8b8' },
  {
    // Doc, aliases, defaults, a logical type, a type reference, a foreign namespace: all normalised away.
    label: 'a schema exercising every canonical-form rule',
    schema: {
      type: 'record', name: 'Tricky', namespace: 'proofline.testing', doc: 'd', aliases: ['Old'],
      fields: [
        { name: 'at', type: { type: 'long', logicalType: 'timestamp-millis' }, doc: 'x', default: 0 },
        { name: 'kind', type: { type: 'enum', name: 'Kind', symbols: ['a', 'b'], default: 'a' } },
        { name: 'again', type: 'Kind', aliases: ['kind2'] },
        { name: 'tags', type: { type: 'map', values: { type: 'fixed', name: 'other.Hash', size: 4 } } },
        { name: 'maybe', type: ['null', 'string', { type: 'array', items: 'double' }], default: null },
      ],
    },
    fp64: 0xbf0dc165c725848bn,
    le: '8b8425c765c10dbf',
  },
];

describe('CRC-64-AVRO', () => {
  it('fingerprints the empty input as the spec constant', () => {
    expect(crc64Avro(new Uint8Array())).toBe(0xc15d213aa4d7a795n);
    expect(CRC64_AVRO_EMPTY).toBe(0xc15d213aa4d7a795n);
  });

  it.each(javaReference)('matches Apache Avro (Java) for $label', ({ schema, fp64, le }) => {
    expect(crc64Avro(Buffer.from(parsingCanonicalForm(schema)))).toBe(fp64);
    expect(fingerprint64(schema).toString('hex')).toBe(le);
  });
});

describe('Parsing Canonical Form', () => {
  it('is what Java SchemaNormalization.toParsingForm produces', () => {
    expect(parsingCanonicalForm(schemaFile('DecisionClosed.v1.avsc'))).toBe(
      '{"name":"proofline.governance.DecisionClosed","type":"record","fields":[{"name":"decisionId","type":"string"},' +
        '{"name":"closedAt","type":"long"},{"name":"reason","type":{"name":"proofline.governance.CloseReason","type":"enum","symbols":["manual","deadline"]}}]}',
    );
    expect(parsingCanonicalForm(javaReference[6]!.schema)).toBe(
      '{"name":"proofline.testing.Tricky","type":"record","fields":[{"name":"at","type":"long"},' +
        '{"name":"kind","type":{"name":"proofline.testing.Kind","type":"enum","symbols":["a","b"]}},' +
        '{"name":"again","type":"proofline.testing.Kind"},' +
        '{"name":"tags","type":{"type":"map","values":{"name":"other.Hash","type":"fixed","size":4}}},' +
        '{"name":"maybe","type":["null","string",{"type":"array","items":"double"}]}]}',
    );
  });

  it('ignores docs, so documenting a schema never changes its fingerprint', () => {
    const documented = schemaFile('VoteCast.v1.avsc');
    const bare = JSON.parse(JSON.stringify(documented, (key, value) => (key === 'doc' ? undefined : value)));
    expect(fingerprint64(bare)).toEqual(fingerprint64(documented));
  });
});
