// Content negotiation on the Accept header (RFC 9110 §12.5.1): which of the types a route offers the client
// prefers. Each offered type takes the q of the most specific range that matches it (`text/csv` over
// `text/*` over `*/*`); the highest q wins, then the more specific match, then the range the client listed
// first, then the route's own order (its first type is its default).

type MediaRange = { type: string; subtype: string; q: number; position: number };

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** The media ranges of an Accept header; malformed ones are left out. */
export function parseAccept(header: string): MediaRange[] {
  const ranges: MediaRange[] = [];
  header.split(',').forEach((part, position) => {
    const [range = '', ...parameters] = part.split(';').map((piece) => piece.trim());
    const [type, subtype, extra] = range.toLowerCase().split('/');
    if (!type || !subtype || extra !== undefined || !TOKEN.test(type) || !TOKEN.test(subtype) || (type === '*' && subtype !== '*')) return;
    let q = 1;
    for (const parameter of parameters) {
      const [name, value = ''] = parameter.split('=').map((piece) => piece.trim());
      if (name?.toLowerCase() !== 'q') continue;
      // qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )
      if (!/^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/.test(value)) return;
      q = Number(value);
    }
    ranges.push({ type, subtype, q, position });
  });
  return ranges;
}

/**
 * The offered type the client prefers; undefined when it accepts none of them. No Accept header, or one
 * with no valid range, accepts anything: the route's default then.
 */
export function preferredType(accept: string | undefined, offered: readonly string[]): string | undefined {
  const ranges = accept === undefined ? [] : parseAccept(accept);
  if (ranges.length === 0) return offered[0];
  let best: { type: string; q: number; specificity: number; position: number } | undefined;
  for (const type of offered) {
    const match = bestRangeFor(type, ranges);
    if (!match || match.range.q === 0) continue;
    const candidate = { type, q: match.range.q, specificity: match.specificity, position: match.range.position };
    if (!best || candidate.q > best.q || (candidate.q === best.q && (candidate.specificity > best.specificity || (candidate.specificity === best.specificity && candidate.position < best.position)))) {
      best = candidate;
    }
  }
  return best?.type;
}

/** The most specific range matching `type/subtype` (2: exact, 1: `type/*`, 0: `*\/*`). */
function bestRangeFor(mediaType: string, ranges: readonly MediaRange[]): { range: MediaRange; specificity: number } | undefined {
  const [type, subtype] = mediaType.split('/');
  let found: { range: MediaRange; specificity: number } | undefined;
  for (const range of ranges) {
    const specificity = range.type === type && range.subtype === subtype ? 2 : range.type === type && range.subtype === '*' ? 1 : range.type === '*' ? 0 : -1;
    if (specificity < 0) continue;
    if (!found || specificity > found.specificity || (specificity === found.specificity && range.q > found.range.q)) found = { range, specificity };
  }
  return found;
}
