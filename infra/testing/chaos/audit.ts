// The last check of every chaos scenario: `proofline audit verify --rebuild` replays the log, checks every
// batch root on chain and compares every read model with a rebuild. The tail may still be anchoring when
// it is first asked, so it is asked again until it passes or the deadline.
import { runProofline, waitFor } from '../process.ts';

export type AuditOutcome = { verified: boolean; output: string };

export async function auditVerifies(env: Record<string, string | undefined>, timeoutMs = 120_000): Promise<AuditOutcome> {
  let last = '';
  try {
    await waitFor(
      async () => {
        const result = await runProofline(['audit', 'verify', '--rebuild'], { ...env, LOG_LEVEL: 'warn' });
        last = `${result.stdout}${result.stderr}`;
        return result.code === 0;
      },
      timeoutMs,
      () => 'audit verify did not pass (the tail may not be anchored yet)',
    );
    return { verified: true, output: last.slice(-2000) };
  } catch (error) {
    return { verified: false, output: `${(error as Error).message}\n${last}`.slice(-4000) };
  }
}
