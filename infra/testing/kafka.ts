// The real Kafka that global-setup provided (KAFKA_BROKERS, or a broker it started). Every test file shares
// it: give each test its own topics and consumer groups (testTopicName) so files can run in parallel.
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';

export function testKafkaBrokers(): string[] {
  return inject('kafkaBrokers')
    .split(',')
    .map((broker) => broker.trim())
    .filter(Boolean);
}

/** A topic (or group) name no other test uses, e.g. `proofline-test-votes-3f9a1c2b`. */
export function testTopicName(prefix: string): string {
  return `proofline-test-${prefix}-${randomBytes(4).toString('hex')}`;
}
