// The few DOM helpers the pages share. Every value the API returns is written as text (textContent), never
// parsed as HTML: what the platform stores cannot become markup or script in the console.

type Child = Node | string | number | null | undefined | false;
type Props = { class?: string; id?: string; title?: string; href?: string; type?: string; value?: string; placeholder?: string; name?: string; 'data-testid'?: string; 'data-status'?: string; 'data-step'?: string };

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) if (value !== undefined) node.setAttribute(name, value);
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === 'number' ? String(child) : child);
  }
  return node;
}

export type Column<Row> = { label: string; value: (row: Row) => Child; numeric?: boolean };

/** A table of rows, or a line saying there are none. */
export function table<Row>(columns: readonly Column<Row>[], rows: readonly Row[], empty: string, testId?: string): HTMLElement {
  if (rows.length === 0) return el('p', { class: 'empty', ...(testId ? { 'data-testid': testId } : {}) }, empty);
  return el(
    'table',
    testId ? { 'data-testid': testId } : {},
    el('thead', {}, el('tr', {}, ...columns.map((column) => el('th', column.numeric ? { class: 'num' } : {}, column.label)))),
    el('tbody', {}, ...rows.map((row) => el('tr', {}, ...columns.map((column) => el('td', column.numeric ? { class: 'num' } : {}, column.value(row)))))),
  );
}

export function card(title: string, ...children: Child[]): HTMLElement {
  return el('section', { class: 'card' }, el('h2', {}, title), ...children);
}

/** A labelled list of facts: `[label, value]` pairs. */
export function facts(pairs: readonly [string, Child][], testId?: string): HTMLElement {
  return el('dl', { class: 'facts', ...(testId ? { 'data-testid': testId } : {}) }, ...pairs.flatMap(([label, value]) => [el('dt', {}, label), el('dd', {}, value)]));
}

/** A horizontal bar for a share of a total (0..1). */
export function bar(share: number): HTMLElement {
  const outer = el('span', { class: 'bar' });
  const inner = el('span', { class: 'bar-fill' });
  inner.style.width = `${Math.round(Math.max(0, Math.min(1, share)) * 100)}%`;
  outer.append(inner);
  return outer;
}

/** A one-field form that calls `submit` with the trimmed value. */
export function lookup(label: string, value: string, placeholder: string, submit: (value: string) => void, testId: string): HTMLFormElement {
  const input = el('input', { name: testId, value, placeholder, 'data-testid': `${testId}-input` });
  const form = el('form', { class: 'lookup' }, el('label', {}, label, input), el('button', { type: 'submit' }, 'Show'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    submit(input.value.trim());
  });
  return form;
}

/** Micro-units of the stablecoin, as units with six decimals. */
export function micros(amount: number): string {
  return (amount / 1_000_000).toLocaleString('en', { minimumFractionDigits: 2, maximumFractionDigits: 6 });
}

export function when(iso: string | null | undefined): string {
  return iso ? new Date(iso).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '—';
}

/** A long hex value shortened for a table, whole in its tooltip. */
export function shortHex(hex: string): HTMLElement {
  return el('code', { title: hex }, hex.length > 18 ? `${hex.slice(0, 10)}…${hex.slice(-6)}` : hex);
}
