// A progress line on stderr: done / total, rate and ETA. On a terminal it is redrawn in place (\r); written
// to a file or a pipe it becomes one line every few seconds, so that logs stay readable.
export type Progress = { update(done: number, total: number): void; finish(): void };

export type ProgressOptions = {
  label: string;
  unit: string;
  stream?: NodeJS.WriteStream;
  /** Between two lines when the stream is not a terminal. Default 5 s. */
  lineIntervalMs?: number;
  now?: () => number;
};

const REDRAW_MS = 100;

export const silentProgress: Progress = { update() {}, finish() {} };

export function createProgress(options: ProgressOptions): Progress {
  const stream = options.stream ?? process.stderr;
  const now = options.now ?? Date.now;
  const inPlace = Boolean(stream.isTTY);
  const interval = inPlace ? REDRAW_MS : (options.lineIntervalMs ?? 5000);
  const started = now();
  let lastDrawn = -Infinity;
  let last: { done: number; total: number } | null = null;

  const draw = () => {
    if (!last) return;
    const line = describe(options, last.done, last.total, now() - started);
    stream.write(inPlace ? `\r${line}\x1b[K` : `${line}\n`);
    lastDrawn = now();
  };

  return {
    update(done, total) {
      last = { done, total };
      if (now() - lastDrawn >= interval) draw();
    },
    finish() {
      draw();
      if (inPlace && last) stream.write('\n');
    },
  };
}

export function describe(options: Pick<ProgressOptions, 'label' | 'unit'>, done: number, total: number, elapsedMs: number): string {
  const rate = elapsedMs > 0 ? (done * 1000) / elapsedMs : 0;
  const percent = total > 0 ? Math.min(100, (done * 100) / total) : 100;
  const etaSeconds = rate > 0 ? Math.max(0, (total - done) / rate) : undefined;
  const eta = etaSeconds === undefined ? '?' : `${Math.ceil(etaSeconds)}s`;
  return `${options.label}: ${count(done)} / ${count(total)} ${options.unit} (${percent.toFixed(0)}%), ${count(Math.round(rate))} ${options.unit}/s, ETA ${eta}`;
}

const count = (value: number) => value.toLocaleString('en-US');
