// What a bench must undo whatever happens (its database, pools, servers, child processes): steps pushed as
// they are set up, run once in reverse order at the end, on failure, or on SIGINT/SIGTERM (then the
// children this process started are killed first and the process exits 130). A step that fails is logged;
// the others still run.
import { killIsolated } from './isolate.ts';

export class Cleanups {
  private readonly steps: Array<{ name: string; run: () => Promise<unknown> }> = [];
  private running: Promise<void> | undefined;
  /** Set once a signal arrived: the failure of a killed child is then not worth reporting. */
  interrupted = false;

  constructor(private readonly log: (line: string) => void) {}

  push(name: string, run: () => Promise<unknown>): void {
    this.steps.push({ name, run });
  }

  run(): Promise<void> {
    return (this.running ??= (async () => {
      for (const { name, run } of this.steps.reverse()) await run().catch((error: unknown) => this.log(`cleanup ${name}: ${(error as Error).message}`));
    })());
  }

  /** On SIGINT/SIGTERM: says so (`what`: what the cleanup does), kills the isolated children, cleans up, exits 130. */
  onSignals(what: string): void {
    const onSignal = (signal: NodeJS.Signals) => {
      if (this.interrupted) return;
      this.interrupted = true;
      this.log(`\n${signal}: stopping, ${what}…`);
      killIsolated();
      void this.run().finally(() => process.exit(130));
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
}
