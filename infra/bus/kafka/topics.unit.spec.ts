import { describe, expect, it } from 'vitest';
import { kafkaTopic, topicPrefixOf } from './topics.ts';

describe('topic names', () => {
  it('are <prefix>.<context>.v1, and the prefix is read back from them, dots and all', () => {
    expect(kafkaTopic('governance', 'proofline')).toBe('proofline.governance.v1');
    expect(topicPrefixOf('proofline.governance.v1')).toBe('proofline');
    expect(topicPrefixOf(kafkaTopic('crawl', 'acme.prod-eu'))).toBe('acme.prod-eu');
    expect(topicPrefixOf('proofline.governance.v12')).toBe('proofline');
  });

  it('have no prefix when they are not a Proofline topic (the local bus partition, anything else)', () => {
    expect(topicPrefixOf('log')).toBeUndefined();
    expect(topicPrefixOf('orders')).toBeUndefined();
    expect(topicPrefixOf('proofline.governance')).toBeUndefined();
  });
});
