import { describe, expect, it } from 'vitest';
import { PartitionEnds } from './partition-ends.ts';

const gov = 't.governance.v1';
const crawl = 't.crawl.v1';

describe('PartitionEnds: where each event-topic partition ends, from the broker\'s answers', () => {
  it('moves a written partition to base offset + records written; leaves the others where they were', () => {
    const ends = new PartitionEnds([
      { topic: gov, partition: 0, endOffset: 10n },
      { topic: gov, partition: 1, endOffset: 4n },
      { topic: crawl, partition: 0, endOffset: 0n },
    ]);
    ends.acknowledged(
      [{ topic: gov, messages: [{ partition: 0 }, { partition: 0 }, { partition: 0 }] }, { topic: crawl, messages: [{ partition: 0 }] }],
      [
        { topicName: gov, partition: 0, baseOffset: '10' },
        { topicName: crawl, partition: 0, baseOffset: '0' },
      ],
    );
    expect(ends.snapshot()).toEqual([
      { topic: gov, partition: 0, endOffset: 13n },
      { topic: gov, partition: 1, endOffset: 4n },
      { topic: crawl, partition: 0, endOffset: 1n },
    ]);
  });

  it('refuses an answer that does not name each written partition once with a base offset', () => {
    const ends = new PartitionEnds([{ topic: gov, partition: 0, endOffset: 0n }]);
    const sent = [{ topic: gov, messages: [{ partition: 0 }] }];
    expect(() => ends.acknowledged(sent, [])).toThrow(/lacks t.governance.v1\/0/);
    expect(() => ends.acknowledged(sent, [{ topicName: gov, partition: 0 }])).toThrow(/no single base offset/);
    const twice = [
      { topicName: gov, partition: 0, baseOffset: '0' },
      { topicName: gov, partition: 0, baseOffset: '1' },
    ];
    expect(() => ends.acknowledged(sent, twice)).toThrow(/no single base offset/);
    expect(() => ends.acknowledged([{ topic: gov, messages: [{}] }], [])).toThrow(/explicit partition/);
    expect(ends.snapshot()).toEqual([{ topic: gov, partition: 0, endOffset: 0n }]);
  });
});
