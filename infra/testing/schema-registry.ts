// The real schema registry (Confluent-compatible API) that global-setup provided: SCHEMA_REGISTRY_URL, or an
// Apicurio Registry it started. Its storage is shared by every test file: give each test its own topic
// prefix (testTopicName) so subjects never meet.
import { inject } from 'vitest';

export function testSchemaRegistryUrl(): string {
  const provided = inject('schemaRegistry');
  if ('unavailable' in provided) throw new Error(provided.unavailable);
  return provided.url;
}
