// README.md states rule values in prose; the rules modules define them. This keeps the two in step: each
// phrase below is built from the values, so changing a value fails here until the README says it too.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { defaultClassWeights, MAX_OPTIONS, MIN_OPTIONS } from '../../events-schema/governance/rules.ts';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

describe('README.md states the rule values of the rules modules', () => {
  it('governance: option count, class weights', () => {
    const { citizen, expert, community } = defaultClassWeights;
    for (const phrase of [
      `options: string[${MIN_OPTIONS}..${MAX_OPTIONS}]`,
      `vote (citizen ${citizen}, expert ${expert}, community ${community})`,
      // The error registry's line, which README.md mirrors (errors.unit.spec.ts).
      `| \`invalid_option_count\` | 422 | A decision has ${MIN_OPTIONS} to ${MAX_OPTIONS} options. |`,
    ]) {
      expect(readme).toContain(phrase);
    }
  });
});
