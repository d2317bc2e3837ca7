import { describe, expect, it } from 'vitest';
import { judgeTopics, TopicsOfAnotherStoreError, UsedTopicsError, type PartitionSample, type TopicJudgementInput } from './topic-ownership.ts';

const OURS = '11111111-1111-4111-8111-111111111111';
const THEIRS = '22222222-2222-4222-8222-222222222222';
const input: TopicJudgementInput = { storeId: OURS, publishedBefore: false, adoptEmptyTopics: false, topicPrefix: 'proofline' };

const fresh = (topic: string, partition = 0): PartitionSample => ({ topic, partition, low: '0', high: '0' });
const holding = (topic: string, storeId: string | undefined, partition = 0): PartitionSample => ({
  topic,
  partition,
  low: '0',
  high: '12',
  firstRecord: { offset: '0', storeId },
});
const emptied = (topic: string, partition = 0): PartitionSample => ({ topic, partition, low: '12', high: '12' });

describe('whether a store may publish into its topics', () => {
  it('takes new, empty topics', () => {
    expect(judgeTopics([fresh('proofline.governance.v1'), fresh('proofline.crawl.v1', 2)], input)).toEqual({ accept: true, warnings: [] });
  });

  it("takes topics holding this store's records", () => {
    expect(judgeTopics([holding('proofline.governance.v1', OURS), fresh('proofline.crawl.v1')], input)).toEqual({ accept: true, warnings: [] });
  });

  it("refuses topics holding another store's records, naming the topics, both stores and the ways out", () => {
    const judgement = judgeTopics(
      [holding('proofline.governance.v1', THEIRS), holding('proofline.workplace.v1', OURS), holding('proofline.crawl.v1', THEIRS, 1)],
      input,
    );
    expect(judgement.accept).toBe(false);
    const error = (judgement as { error: Error }).error;
    expect(error).toBeInstanceOf(TopicsOfAnotherStoreError);
    expect(error).toMatchObject({ topics: ['proofline.crawl.v1', 'proofline.governance.v1'], storeId: OURS, otherStoreIds: [THEIRS] });
    expect(error.message).toContain(`hold records of event store ${THEIRS}, not of this event store (${OURS})`);
    expect(error.message).toContain('KAFKA_TOPIC_PREFIX');
    expect(error.message).toContain('delete those topics');
    expect(error.message).toContain('--adopt-empty-topics');
  });

  it('refuses them even when told to adopt empty topics, and even after publishing before', () => {
    const judgement = judgeTopics([holding('proofline.governance.v1', THEIRS)], { ...input, adoptEmptyTopics: true, publishedBefore: true });
    expect(judgement).toMatchObject({ accept: false, error: expect.any(TopicsOfAnotherStoreError) });
  });

  it('refuses records without a store id to a relay that never published, and takes them (with a warning) from one that did', () => {
    expect(judgeTopics([holding('proofline.governance.v1', undefined)], input)).toMatchObject({
      accept: false,
      error: expect.objectContaining({ otherStoreIds: ['(no store id)'] }),
    });
    const upgraded = judgeTopics([holding('proofline.governance.v1', undefined)], { ...input, publishedBefore: true });
    expect(upgraded).toEqual({ accept: true, warnings: [expect.stringContaining('before store ids existed')] });
  });

  it('takes topics written before that hold no record now only when told to adopt them', () => {
    const samples = [emptied('proofline.governance.v1'), fresh('proofline.crawl.v1')];
    const refused = judgeTopics(samples, input);
    expect(refused).toMatchObject({ accept: false, error: expect.any(UsedTopicsError) });
    expect((refused as { error: Error }).error.message).toContain('proofline.governance.v1 were written before and hold no records now');
    expect(judgeTopics(samples, { ...input, adoptEmptyTopics: true })).toEqual({ accept: true, warnings: [expect.stringContaining('adopting')] });
    // This relay's own topics, emptied by retention, stay its own.
    expect(judgeTopics(samples, { ...input, publishedBefore: true })).toEqual({ accept: true, warnings: [] });
  });
});
