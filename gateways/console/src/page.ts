// A page of the console: built once when its route is opened, then refreshed in place every few seconds
// (live pages) so what it shows follows the read models without a reload.
import { el } from './dom.ts';

export type PageContext = {
  /** The route's parameters (`#/crawl?platform=crawler`). */
  params: URLSearchParams;
  /** Opens this page again with other parameters (a lookup). */
  go(params: Record<string, string>): void;
};

export type PageView = { node: HTMLElement; refresh(): Promise<void>; live: boolean };

export type Page = { path: string; title: string; open(context: PageContext): PageView };

/** A slot a refresh fills: the last good content stays while a refresh fails, with the failure beside it. */
export function slot(testId: string): { node: HTMLElement; fill(...nodes: (Node | string)[]): void; fail(error: unknown): void } {
  const node = el('div', { class: 'slot', 'data-testid': testId });
  return {
    node,
    fill: (...nodes) => node.replaceChildren(...nodes),
    fail: (error) => node.replaceChildren(el('p', { class: 'error' }, error instanceof Error ? error.message : String(error))),
  };
}

/** Runs each filler, so one failing section leaves the others filled. */
export async function fillAll(fillers: readonly (() => Promise<void>)[]): Promise<void> {
  await Promise.all(fillers.map((filler) => filler()));
}
