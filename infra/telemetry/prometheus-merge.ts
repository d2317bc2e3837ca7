// Several processes' Prometheus texts as one exposition, for a gateway whose workers each keep their own
// registry: one HELP and TYPE per metric family, then every distinct series of every text. A series that
// several texts share (the same name and labels: a gauge read from the shared stores, `target_info`) is kept
// once, from the first text; per-process series stay apart because their labels say which process
// (`worker="2"`). Families keep the order in which they first appear.

type Family = { header: string[]; samples: Map<string, string> };

export function mergePrometheusTexts(texts: readonly string[]): string {
  const families = new Map<string, Family>();
  for (const text of texts) {
    let current: Family | undefined;
    for (const line of text.split('\n')) {
      if (line === '') continue;
      const comment = /^# (HELP|TYPE) (\S+)/.exec(line);
      if (comment) {
        const name = comment[2]!;
        current = families.get(name);
        if (!current) families.set(name, (current = { header: [], samples: new Map() }));
        if (!current.header.some((kept) => kept.startsWith(`# ${comment[1]} `))) current.header.push(line);
        continue;
      }
      if (line.startsWith('#')) continue;
      // A sample before any HELP/TYPE line belongs to a family of its own name.
      const series = seriesOf(line);
      if (!current) {
        const name = series.replace(/\{.*$/, '');
        current = families.get(name) ?? { header: [], samples: new Map() };
        families.set(name, current);
      }
      if (!current.samples.has(series)) current.samples.set(series, line);
    }
  }
  const out: string[] = [];
  for (const { header, samples } of families.values()) out.push(...header, ...samples.values());
  return out.length === 0 ? '' : `${out.join('\n')}\n`;
}

/** The series a sample line reports: its name and labels, without the value (label values may hold spaces). */
function seriesOf(line: string): string {
  const labelsEnd = line.lastIndexOf('}');
  if (labelsEnd >= 0) return line.slice(0, labelsEnd + 1);
  const space = line.indexOf(' ');
  return space < 0 ? line : line.slice(0, space);
}
