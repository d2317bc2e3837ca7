// README.md states rule values in prose; the rules modules define them. This keeps the two in step: each
// statement the README makes of a rule value must be the value, so changing one fails here until the README
// says it too. (The error table of README.md is held to the error registry by errors.unit.spec.ts.)
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DISPUTE_WINDOW_DAYS } from '../../events-schema/crawl/rules.ts';
import { defaultClassWeights, MAX_OPTIONS, MIN_OPTIONS } from '../../events-schema/governance/rules.ts';
import {
  componentWeights,
  LOW_SCORE_THRESHOLD,
  MINIMUM_SAMPLE_SIZE,
  RESPONSE_WINDOW_DAYS,
  REVIEW_INTERVAL_DAYS,
  SCORE_MAX,
  SCORE_MIN,
} from '../../events-schema/workplace/rules.ts';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** README.md says it at least once, and every time it says it (group 1 of `pattern`), it says `value`. */
function expectStated(pattern: RegExp, value: string | number) {
  const stated = [...readme.matchAll(pattern)].map((match) => match[1]);
  expect(stated.length, `README.md states ${pattern}`).toBeGreaterThan(0);
  expect(stated, `README.md states ${pattern}`).toEqual(stated.map(() => String(value)));
}

describe('README.md states the rule values of the rules modules', () => {
  it('governance: the option count and the class weights', () => {
    const { citizen, expert, community } = defaultClassWeights;
    expectStated(/options: string\[(\d+\.\.\d+)\]/g, `${MIN_OPTIONS}..${MAX_OPTIONS}`);
    expectStated(/A decision has (\d+ to \d+) options/g, `${MIN_OPTIONS} to ${MAX_OPTIONS}`);
    expectStated(/(\(citizen \d+, expert \d+, community \d+\))/g, `(citizen ${citizen}, expert ${expert}, community ${community})`);
  });

  it('workplace: score scale and weights, sample size, low score, review interval, response window', () => {
    expectStated(/\(integers (\d+–\d+)\)/g, `${SCORE_MIN}–${SCORE_MAX}`);
    expectStated(/weighted\s+sum ([\d/]+) %/g, Object.values(componentWeights).join('/'));
    expectStated(/(?:before|fewer than|publishes from) (\d+) submissions/g, MINIMUM_SAMPLE_SIZE);
    expectStated(/scoring below (\d+)/g, LOW_SCORE_THRESHOLD / 100);
    expectStated(/(?:`review_too_soon` within|less than) (\d+) days/g, REVIEW_INTERVAL_DAYS);
    expectStated(/the (\d+)-day\s+rule/g, REVIEW_INTERVAL_DAYS);
    expectStated(/deadline, lsn\}` \((\d+) days\)/g, RESPONSE_WINDOW_DAYS);
    expectStated(/(\d+)-day deadline/g, RESPONSE_WINDOW_DAYS);
  });

  it('crawl: the dispute window', () => {
    expectStated(/(?:within|more than) (\d+) days (?:of the bill|ago)/g, DISPUTE_WINDOW_DAYS);
  });
});
