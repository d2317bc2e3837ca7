import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fingerprint64 } from './avro/fingerprint.ts';
import { encodeSingleObject, splitSingleObject, SingleObjectFormatError } from './avro/single-object.ts';
import { EventDecodingError, EventEncodingError, SchemaRegistryError, UnknownEventTypeError, UnknownSchemaError } from './errors.ts';
import { createEventRegistry } from './event-registry.ts';
import {
  avroBody,
  contextOf,
  decodeEvent,
  encodeEvent,
  eventTypes,
  schemaFingerprintHex,
  schemaVersions,
  type ProoflineEvent,
  type ProoflineEventType,
} from './index.ts';

// One sample per event type: adding a type to ProoflineEvent without a sample fails the typecheck.
const samples: { [T in ProoflineEventType]: Extract<ProoflineEvent, { type: T }> } = {
  RoleGranted: { type: 'RoleGranted', data: { subject: '0x52908400098527886E0F7030069857D2E4169EE7', role: 'convener', scope: null, grantedAt: 1_763_769_600_000 } },
  RoleRevoked: { type: 'RoleRevoked', data: { subject: 'acme-crawler', role: 'participant', scope: 'acme', revokedAt: 1_763_769_700_000 } },
  DecisionCreated: {
    type: 'DecisionCreated',
    data: {
      decisionId: '6f1c2e0a-3b4d-4e5f-8a9b-0c1d2e3f4a5b',
      title: 'Protect the river delta',
      options: ['yes', 'no', 'abstain'],
      closesAt: 1_767_225_600_000,
      weights: { citizen: 1, expert: 3, community: 2 },
      createdAt: 1_763_769_600_000,
      createdBy: '0x52908400098527886E0F7030069857D2E4169EE7',
    },
  },
  VoteCast: {
    type: 'VoteCast',
    data: {
      decisionId: '6f1c2e0a-3b4d-4e5f-8a9b-0c1d2e3f4a5b',
      voterId: 'voter-42',
      option: 'yes',
      voterClass: 'expert',
      weight: 3,
      castAt: 1_763_769_700_000,
    },
  },
  DecisionClosed: {
    type: 'DecisionClosed',
    data: { decisionId: '6f1c2e0a-3b4d-4e5f-8a9b-0c1d2e3f4a5b', closedAt: 1_767_225_600_000, reason: 'deadline' },
  },
  CompanyRegistered: {
    type: 'CompanyRegistered',
    data: { companyId: 'company-acme', name: 'Acme Logistics', registeredAt: 1_763_769_600_000, registeredBy: 'admin' },
  },
  SubmissionScored: {
    type: 'SubmissionScored',
    data: {
      companyId: 'company-acme',
      reviewerPseudonym: 'b1946ac92492d2347c6235b4d2611184b1946ac92492d2347c6235b4d2611184',
      managementQuality: 80,
      cultureEnvironment: 70,
      fairnessEquity: 60,
      transparency: 50,
      growthDevelopment: 40,
      overallScore: 6_550,
      submittedAt: 1_763_769_700_000,
    },
  },
  EngagementInitiated: {
    type: 'EngagementInitiated',
    data: {
      companyId: 'company-acme',
      engagementNumber: 1,
      initiatedAt: 1_763_769_800_000,
      deadline: 1_768_953_800_000,
      overallScore: 6_550,
      sampleSize: 5,
      scoreAsOfLsn: 42,
    },
  },
  CertificationIssued: {
    type: 'CertificationIssued',
    data: { companyId: 'company-acme', engagementNumber: 1, level: 'gold', feeMinor: 2_500_000, currency: 'USD', issuedAt: 1_763_769_900_000 },
  },
  CompanyWatchListed: {
    type: 'CompanyWatchListed',
    data: {
      companyId: 'company-acme',
      reason: 'no_response',
      engagementNumber: 1,
      overallScore: 3_550,
      sampleSize: 7,
      scoreAsOfLsn: 57,
      listedAt: 1_768_953_800_001,
    },
  },
  CompanyDelisted: {
    type: 'CompanyDelisted',
    data: { companyId: 'company-acme', reason: 'admin', delistedAt: 1_769_000_000_000 },
  },
  ParticipantRegistered: {
    type: 'ParticipantRegistered',
    data: { participantId: 'publisher-daily-news', role: 'publisher', name: 'Daily News', registeredAt: 1_763_769_600_000, owner: '0x52908400098527886E0F7030069857D2E4169EE7' },
  },
  PublisherPriceSet: {
    type: 'PublisherPriceSet',
    data: { publisherId: 'publisher-daily-news', pricePerCrawl: 2_500, setAt: 1_763_769_650_000 },
  },
  EscrowDeposited: {
    type: 'EscrowDeposited',
    data: { platformId: 'platform-crawler', amount: 10_000_000, balanceAfter: 10_000_000, depositedAt: 1_763_769_700_000 },
  },
  CrawlBilled: {
    type: 'CrawlBilled',
    data: {
      crawlId: 'crawl-0001',
      platformId: 'platform-crawler',
      publisherId: 'publisher-daily-news',
      url: 'https://news.example/2026/11/22/river-delta',
      bytes: 48_213,
      amount: 2_500,
      balanceAfter: 9_997_500,
      billedAt: 1_763_769_800_000,
    },
  },
  CrawlDisputed: {
    type: 'CrawlDisputed',
    data: {
      crawlId: 'crawl-0001',
      platformId: 'platform-crawler',
      publisherId: 'publisher-daily-news',
      amount: 2_500,
      reason: 'robots.txt disallowed the path',
      billedAt: 1_763_769_800_000,
      disputedAt: 1_763_856_200_000,
    },
  },
  CrawlRefunded: {
    type: 'CrawlRefunded',
    data: {
      crawlId: 'crawl-0001',
      platformId: 'platform-crawler',
      publisherId: 'publisher-daily-news',
      amount: 2_500,
      balanceAfter: 10_000_000,
      billedAt: 1_763_769_800_000,
      refundedAt: 1_763_942_600_000,
    },
  },
  ZoneDefined: {
    type: 'ZoneDefined',
    data: { zoneId: 'zone-delta', name: 'River delta', region: 'camargue', centerLat: 43_533_000, centerLon: 4_633_000, radiusM: 500, priorityHundredths: 150, definedBy: 'qm-1', definedAt: 1_763_769_600_000 },
  },
  QuestCreated: {
    type: 'QuestCreated',
    data: {
      questId: 'quest-cleanup-1',
      title: 'Clean the east bank',
      category: 'cleanup',
      zoneId: 'zone-delta',
      region: 'camargue',
      centerLat: 43_533_000,
      centerLon: 4_633_000,
      radiusM: 500,
      priorityHundredths: 150,
      difficulty: 'medium',
      baseXp: 100,
      tokenReward: 2_000_000,
      opensAt: null,
      closesAt: 1_767_225_600_000,
      witnessesRequired: 2,
      createdBy: 'qm-1',
      createdAt: 1_763_769_600_000,
    },
  },
  QuestClosed: { type: 'QuestClosed', data: { questId: 'quest-cleanup-1', closedBy: 'qm-1', closedAt: 1_767_225_600_000 } },
  EvidenceClaimed: {
    type: 'EvidenceClaimed',
    data: { sha256: 'b1946ac92492d2347c6235b4d2611184b1946ac92492d2347c6235b4d2611184', submissionId: 'sub-1', playerId: '0x52908400098527886E0F7030069857D2E4169EE7', claimedAt: 1_763_769_700_000 },
  },
  EvidenceSubmitted: {
    type: 'EvidenceSubmitted',
    data: {
      submissionId: 'sub-1',
      questId: 'quest-cleanup-1',
      playerId: '0x52908400098527886E0F7030069857D2E4169EE7',
      sha256: 'b1946ac92492d2347c6235b4d2611184b1946ac92492d2347c6235b4d2611184',
      uri: 'https://evidence.example/sub-1.jpg',
      lat: 43_533_120,
      lon: -4_633_050,
      accuracyCm: 850,
      capturedAt: 1_763_769_690_000,
      receivedAt: 1_763_769_700_000,
      teamSize: 3,
      flags: ['poor_accuracy', 'duplicate_evidence'],
      status: 'flagged',
      zoneId: 'zone-delta',
      region: 'camargue',
      category: 'cleanup',
      difficulty: 'medium',
      baseXp: 100,
      tokenReward: 2_000_000,
      witnessesRequired: 2,
      priorityHundredths: 150,
    },
  },
  WitnessRecorded: { type: 'WitnessRecorded', data: { submissionId: 'sub-1', witnessId: '0x1111111111111111111111111111111111111111', approve: true, recordedAt: 1_763_769_800_000 } },
  SubmissionReviewed: { type: 'SubmissionReviewed', data: { submissionId: 'sub-1', reviewerId: 'qm-1', decision: 'approve', reviewedAt: 1_763_769_900_000 } },
  SubmissionRejected: { type: 'SubmissionRejected', data: { submissionId: 'sub-2', reason: 'witness_majority', rejectedAt: 1_763_769_900_000 } },
  QuestCompleted: {
    type: 'QuestCompleted',
    data: { submissionId: 'sub-1', questId: 'quest-cleanup-1', playerId: '0x52908400098527886E0F7030069857D2E4169EE7', zoneId: 'zone-delta', region: 'camargue', category: 'cleanup', completedAt: 1_763_769_900_000, flagged: true },
  },
  XpAwarded: {
    type: 'XpAwarded',
    data: {
      submissionId: 'sub-1',
      questId: 'quest-cleanup-1',
      playerId: '0x52908400098527886E0F7030069857D2E4169EE7',
      region: 'camargue',
      category: 'cleanup',
      baseXp: 100,
      xp: 216,
      difficultyMilli: 1500,
      authenticityMilli: 800,
      streakMilli: 1000,
      socialMilli: 1000,
      regionalMilli: 1500,
      teamMilli: 1200,
      totalXpAfter: 216,
      awardedAt: 1_763_769_900_000,
    },
  },
  TokensMinted: { type: 'TokensMinted', data: { playerId: '0x52908400098527886E0F7030069857D2E4169EE7', submissionId: 'sub-1', amount: 3_000_000, balanceAfter: 3_000_000, mintedAt: 1_763_769_900_000 } },
  LeveledUp: { type: 'LeveledUp', data: { playerId: '0x52908400098527886E0F7030069857D2E4169EE7', level: 2, tier: 'bronze', reachedAt: 1_763_769_900_000 } },
  TokensSent: { type: 'TokensSent', data: { transferId: 'tr-1', from: '0x52908400098527886E0F7030069857D2E4169EE7', to: '0x1111111111111111111111111111111111111111', amount: 500_000, balanceAfter: 2_500_000, sentAt: 1_763_770_000_000 } },
  TokensReceived: { type: 'TokensReceived', data: { transferId: 'tr-1', from: '0x52908400098527886E0F7030069857D2E4169EE7', to: '0x1111111111111111111111111111111111111111', amount: 500_000, balanceAfter: 500_000, receivedAt: 1_763_770_000_001 } },
  TokensRedeemed: { type: 'TokensRedeemed', data: { playerId: '0x52908400098527886E0F7030069857D2E4169EE7', amount: 1_000_000, item: 'tree sapling', balanceAfter: 1_500_000, redeemedAt: 1_763_770_100_000 } },
  AssetRegistered: {
    type: 'AssetRegistered',
    data: {
      assetId: 'asset-1',
      name: 'River delta survey',
      assetType: 'dataset',
      price: 25_000_000,
      royaltyBps: 1000,
      creators: [
        { address: '0x52908400098527886E0F7030069857D2E4169EE7', shareBps: 7000 },
        { address: '0x1111111111111111111111111111111111111111', shareBps: 3000 },
      ],
      contentHash: 'bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi',
      metadata: { licence: 'CC-BY-4.0' },
      registeredBy: '0x52908400098527886E0F7030069857D2E4169EE7',
      registeredAt: 1_763_769_600_000,
    },
  },
  AssetVerified: { type: 'AssetVerified', data: { assetId: 'asset-1', reason: 'original work', verifiedBy: 'verifier-1', verifiedAt: 1_763_769_700_000 } },
  AssetRejected: { type: 'AssetRejected', data: { assetId: 'asset-2', reason: 'prior art', rejectedBy: 'verifier-1', rejectedAt: 1_763_769_700_000 } },
  AssetPriceSet: { type: 'AssetPriceSet', data: { assetId: 'asset-1', price: 30_000_000, previousPrice: 25_000_000, setBy: '0x52908400098527886E0F7030069857D2E4169EE7', setAt: 1_763_769_800_000 } },
  AssetListingSet: { type: 'AssetListingSet', data: { assetId: 'asset-1', listed: false, setBy: '0x52908400098527886E0F7030069857D2E4169EE7', setAt: 1_763_769_800_001 } },
  PurchaseStarted: { type: 'PurchaseStarted', data: { purchaseId: 'p-1', assetId: 'asset-1', buyer: '0x1111111111111111111111111111111111111111', price: 30_000_000, startedAt: 1_763_769_900_000 } },
  AssetSold: {
    type: 'AssetSold',
    data: {
      purchaseId: 'p-1',
      assetId: 'asset-1',
      buyer: '0x1111111111111111111111111111111111111111',
      price: 30_000_000,
      royaltyBps: 1000,
      royalties: [
        { address: '0x52908400098527886E0F7030069857D2E4169EE7', amount: 2_100_000 },
        { address: '0x1111111111111111111111111111111111111111', amount: 900_000 },
      ],
      proceeds: [
        { address: '0x52908400098527886E0F7030069857D2E4169EE7', amount: 18_900_000 },
        { address: '0x1111111111111111111111111111111111111111', amount: 8_100_000 },
      ],
      sellers: [
        { address: '0x52908400098527886E0F7030069857D2E4169EE7', shareBps: 7000 },
        { address: '0x1111111111111111111111111111111111111111', shareBps: 3000 },
      ],
      soldAt: 1_763_769_900_001,
    },
  },
  PurchaseCancelled: { type: 'PurchaseCancelled', data: { purchaseId: 'p-2', assetId: 'asset-1', buyer: '0x1111111111111111111111111111111111111111', reason: 'insufficient_funds', cancelledAt: 1_763_769_900_002 } },
  FundsDeposited: { type: 'FundsDeposited', data: { address: '0x1111111111111111111111111111111111111111', amount: 50_000_000, balanceAfter: 50_000_000, depositedBy: 'treasury-1', depositedAt: 1_763_769_600_000 } },
  FundsWithdrawn: { type: 'FundsWithdrawn', data: { address: '0x1111111111111111111111111111111111111111', amount: 1_000_000, balanceAfter: 49_000_000, withdrawnAt: 1_763_769_600_001 } },
  PurchasePaid: { type: 'PurchasePaid', data: { purchaseId: 'p-1', assetId: 'asset-1', buyer: '0x1111111111111111111111111111111111111111', amount: 30_000_000, balanceAfter: 19_000_000, paidAt: 1_763_769_900_000 } },
  PurchaseVoided: { type: 'PurchaseVoided', data: { purchaseId: 'p-2', assetId: 'asset-1', buyer: '0x1111111111111111111111111111111111111111', reason: 'expired', voidedAt: 1_763_769_900_002 } },
  SaleProceedsReceived: {
    type: 'SaleProceedsReceived',
    data: { purchaseId: 'p-1', assetId: 'asset-1', address: '0x52908400098527886E0F7030069857D2E4169EE7', royalty: 2_100_000, proceeds: 18_900_000, balanceAfter: 21_000_000, receivedAt: 1_763_769_900_002 },
  },
  StakeFunded: { type: 'StakeFunded', data: { stakeId: 's-1', assetId: 'asset-1', address: '0x1111111111111111111111111111111111111111', amount: 10_000_000, durationDays: 30, balanceAfter: 9_000_000, fundedAt: 1_763_770_000_000 } },
  StakePayoutReceived: {
    type: 'StakePayoutReceived',
    data: { stakeId: 's-1', payoutId: 'claim-1', address: '0x1111111111111111111111111111111111111111', principal: 0, reward: 41_095, balanceAfter: 9_041_095, receivedAt: 1_766_362_000_000 },
  },
  RewardPoolFunded: { type: 'RewardPoolFunded', data: { amount: 100_000_000, poolAfter: 100_000_000, fundedBy: 'treasury-1', fundedAt: 1_763_769_600_000 } },
  StakeOpened: {
    type: 'StakeOpened',
    data: { stakeId: 's-1', assetId: 'asset-1', staker: '0x1111111111111111111111111111111111111111', amount: 10_000_000, durationDays: 30, aprBps: 500, startsAt: 1_763_770_000_000, endsAt: 1_766_362_000_000 },
  },
  StakeRewardsClaimed: {
    type: 'StakeRewardsClaimed',
    data: { stakeId: 's-1', staker: '0x1111111111111111111111111111111111111111', payoutId: 'claim-1', amount: 41_095, claimedTotal: 41_095, poolAfter: 99_958_905, claimedAt: 1_766_362_000_000 },
  },
  StakeClosed: {
    type: 'StakeClosed',
    data: { stakeId: 's-1', staker: '0x1111111111111111111111111111111111111111', payoutId: 'close', principal: 10_000_000, reward: 0, forfeited: 0, early: false, poolAfter: 99_958_905, closedAt: 1_766_362_000_001 },
  },
};
const allSamples: ProoflineEvent[] = Object.values(samples);

const schemaRoot = new URL('./', import.meta.url);
const contexts = readdirSync(schemaRoot, { withFileTypes: true }).filter((entry) => entry.isDirectory() && entry.name !== 'avro');
const schemaFilesOnDisk = contexts.flatMap(({ name: context }) =>
  readdirSync(new URL(`${context}/`, schemaRoot))
    .filter((fileName) => fileName.endsWith('.avsc'))
    .map((fileName) => ({ context, fileName, schema: JSON.parse(readFileSync(new URL(`${context}/${fileName}`, schemaRoot), 'utf8')) })),
);

function latestFingerprintHex(type: string): string {
  return schemaVersions(type).at(-1)!.fingerprintHex;
}

describe('schema files', () => {
  it.each(schemaFilesOnDisk)('$context/$fileName is named after its record and version', ({ context, fileName, schema }) => {
    const [, type, version] = /^(\w+)\.v(\d+)\.avsc$/.exec(fileName) ?? [];
    expect(schema).toMatchObject({ type: 'record', name: type, namespace: `proofline.${context}` });
    expect(schemaVersions(type!).map((entry) => entry.version)).toContain(Number(version));
    expect(contextOf(type!)).toBe(context);
  });

  it('registers every file on disk, and every event type has a sample here', () => {
    const registered = eventTypes().flatMap((type) => schemaVersions(type));
    expect(registered).toHaveLength(schemaFilesOnDisk.length);
    expect(eventTypes()).toEqual(Object.keys(samples).sort());
  });

  it('reports versions oldest first with their fingerprint and parsed schema', () => {
    expect(schemaVersions('VoteCast')).toEqual([
      { version: 1, fingerprintHex: 'f5aeefba90998391', schema: expect.objectContaining({ name: 'VoteCast' }) },
    ]);
  });

  it('refuses a file whose name does not match the record inside', () => {
    const voteCast = schemaFilesOnDisk.find((file) => file.fileName === 'VoteCast.v1.avsc')!;
    expect(() => createEventRegistry([{ ...voteCast, fileName: 'VoteCasted.v1.avsc' }])).toThrow(
      /VoteCasted\.v1\.avsc: must hold a record named proofline\.governance\.VoteCasted, found proofline\.governance\.VoteCast/,
    );
    expect(() => createEventRegistry([{ ...voteCast, context: 'workplace' }])).toThrow(SchemaRegistryError);
    expect(() => createEventRegistry([{ ...voteCast, fileName: 'VoteCast.v01.avsc' }])).toThrow(/named <EventType>\.v<N>\.avsc/);
    expect(() => createEventRegistry([{ ...voteCast, fileName: 'VoteCast.v2.avsc' }])).toThrow(/versions must be 1\.\.N/);
  });

  it('refuses a new version whose canonical form equals an older one (indistinguishable on the wire)', () => {
    const voteCast = schemaFilesOnDisk.find((file) => file.fileName === 'VoteCast.v1.avsc')!;
    const onlyDocChanged = { ...voteCast, fileName: 'VoteCast.v2.avsc', schema: { ...voteCast.schema, doc: 'reworded' } };
    expect(() => createEventRegistry([voteCast, onlyDocChanged])).toThrow(/same canonical form/);
  });
});

describe('encodeEvent / decodeEvent', () => {
  it.each(allSamples)('round-trips $type', (event) => {
    expect(decodeEvent(encodeEvent(event))).toStrictEqual(event);
  });

  it('round-trips a decision without a deadline', () => {
    const event = { ...samples.DecisionCreated, data: { ...samples.DecisionCreated.data, closesAt: null } };
    expect(decodeEvent(encodeEvent(event))).toStrictEqual(event);
  });

  it.each(allSamples)('writes $type as C3 01 + the latest schema fingerprint + the Avro body', (event) => {
    const bytes = encodeEvent(event);
    const latest = schemaVersions(event.type).at(-1)!;
    expect([...bytes.subarray(0, 2)]).toEqual([0xc3, 0x01]);
    expect(bytes.subarray(2, 10)).toEqual(fingerprint64(latest.schema));
    expect(schemaFingerprintHex(bytes)).toBe(latest.fingerprintHex);
    expect(avroBody(bytes)).toEqual(bytes.subarray(10));
  });

  it('decodes into plain objects that survive JSON unchanged', () => {
    for (const event of allSamples) {
      const decoded = decodeEvent(encodeEvent(event));
      expect(JSON.parse(JSON.stringify(decoded))).toStrictEqual(event);
      expect(Object.getPrototypeOf(decoded.data)).toBe(Object.prototype);
    }
    const created = decodeEvent(encodeEvent(samples.DecisionCreated));
    expect(created.type === 'DecisionCreated' && Object.getPrototypeOf(created.data.weights)).toBe(Object.prototype);
  });

  it('writes the Avro binary body the spec defines (checked by hand for DecisionClosed)', () => {
    const zigZagVarint = (n: bigint) => {
      const out: number[] = [];
      for (let z = n >= 0n ? n << 1n : (-n << 1n) - 1n; ; z >>= 7n) {
        if (z < 0x80n) return [...out, Number(z)];
        out.push(Number(z & 0x7fn) | 0x80);
      }
    };
    const event = { type: 'DecisionClosed', data: { decisionId: 'd1', closedAt: 1_767_225_600_000, reason: 'deadline' } } as const;
    expect([...avroBody(encodeEvent(event))]).toEqual([
      ...zigZagVarint(2n), 0x64, 0x31, // string "d1": length, then UTF-8
      ...zigZagVarint(1_767_225_600_000n), // long
      ...zigZagVarint(1n), // enum index of 'deadline'
    ]);
  });
});

describe('encodeEvent rejects invalid data, naming the field', () => {
  const created = samples.DecisionCreated;
  const cases: { label: string; event: unknown; path: string; message: RegExp }[] = [
    { label: 'a nested field of the wrong type', event: { ...created, data: { ...created.data, weights: { ...created.data.weights, expert: 1.5 } } }, path: 'weights.expert', message: /expected int, got 1\.5/ },
    { label: 'an array item', event: { ...created, data: { ...created.data, options: ['yes', 7] } }, path: 'options.1', message: /expected string, got 7/ },
    { label: 'an unknown enum symbol', event: { ...samples.VoteCast, data: { ...samples.VoteCast.data, voterClass: 'admin' } }, path: 'voterClass', message: /one of citizen \| expert \| community, got "admin"/ },
    { label: 'a missing field', event: { ...samples.DecisionClosed, data: { decisionId: 'd', reason: 'manual' } }, path: 'closedAt', message: /missing, expected long/ },
    { label: 'a field the schema does not have', event: { ...samples.DecisionClosed, data: { ...samples.DecisionClosed.data, closedBy: 'x' } }, path: 'closedBy', message: /not a field of the schema/ },
    { label: 'an unsafe long', event: { ...samples.DecisionClosed, data: { ...samples.DecisionClosed.data, closedAt: 2 ** 60 } }, path: 'closedAt', message: /long/ },
    { label: 'a union that accepts neither branch', event: { ...created, data: { ...created.data, closesAt: 'tomorrow' } }, path: 'closesAt', message: /\["null","long"\], got "tomorrow"/ },
    { label: 'an unknown event type', event: { type: 'DecisionDeleted', data: {} }, path: 'type', message: /not a registered event type/ },
  ];

  it.each(cases)('$label', ({ event, path, message }) => {
    let thrown: unknown;
    try {
      encodeEvent(event as ProoflineEvent);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(EventEncodingError);
    const { issues, message: text } = thrown as EventEncodingError;
    expect(issues).toEqual([{ path, message: expect.stringMatching(message) }]);
    expect(text).toContain(path);
  });
});

describe('decodeEvent rejects what it cannot read', () => {
  const bytes = encodeEvent(samples.VoteCast);

  it('a bad marker', () => {
    const tampered = Buffer.from(bytes);
    tampered[0] = 0x00;
    expect(() => decodeEvent(tampered)).toThrow(SingleObjectFormatError);
  });

  it('input shorter than the header', () => {
    expect(() => decodeEvent(bytes.subarray(0, 9))).toThrow(SingleObjectFormatError);
  });

  it('an unknown fingerprint, naming it', () => {
    const unknown = encodeSingleObject(Buffer.from('0011223344556677', 'hex'), splitSingleObject(bytes).body);
    expect(() => decodeEvent(unknown)).toThrow(UnknownSchemaError);
    expect(() => decodeEvent(unknown)).toThrow(/0011223344556677/);
  });

  it('a truncated body or trailing bytes', () => {
    expect(() => decodeEvent(bytes.subarray(0, bytes.length - 1))).toThrow(EventDecodingError);
    expect(() => decodeEvent(Buffer.concat([bytes, Buffer.from([0])]))).toThrow(/VoteCast v1: trailing data/);
  });

  it('a type it does not know, in the other lookups', () => {
    expect(() => contextOf('DecisionDeleted')).toThrow(UnknownEventTypeError);
    expect(() => schemaVersions('DecisionDeleted')).toThrow(UnknownEventTypeError);
  });

  it('the same bytes whether given as a Buffer or a Uint8Array view', () => {
    const view = new Uint8Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
    expect(decodeEvent(view)).toStrictEqual(samples.VoteCast);
    expect(latestFingerprintHex('VoteCast')).toBe(schemaFingerprintHex(view));
  });
});
