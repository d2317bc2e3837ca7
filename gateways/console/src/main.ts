// The console: a page per hash route (#/governance, #/auditor?event=…), refreshed in place every few
// seconds from the gateway's query routes, with the session box in the header.
import './style.css';
import { el } from './dom.ts';
import type { Page, PageView } from './page.ts';
import { assetsPage } from './pages/assets.ts';
import { auditorPage } from './pages/auditor.ts';
import { crawlPage } from './pages/crawl.ts';
import { governancePage } from './pages/governance.ts';
import { impactPage } from './pages/impact.ts';
import { workplacePage } from './pages/workplace.ts';
import { renderSession } from './session.ts';

const pages: readonly Page[] = [governancePage, workplacePage, crawlPage, impactPage, assetsPage, auditorPage];
const REFRESH_MS = 5000;

const nav = document.getElementById('nav')!;
const main = document.getElementById('page')!;
const status = document.getElementById('status')!;
const session = document.getElementById('session')!;

let current: { view: PageView; timer: number | undefined } | undefined;

function route(): { page: Page; params: URLSearchParams } {
  const [path = '', query = ''] = location.hash.replace(/^#\/?/, '').split('?');
  return { page: pages.find((page) => page.path === path) ?? pages[0]!, params: new URLSearchParams(query) };
}

async function refresh(view: PageView): Promise<void> {
  await view.refresh();
  status.textContent = `Updated ${new Date().toLocaleTimeString('en-GB')}${view.live ? `; refreshing every ${REFRESH_MS / 1000} s` : ''}`;
  main.dataset.loaded = 'true';
}

function open(): void {
  if (current?.timer !== undefined) clearTimeout(current.timer);
  const { page, params } = route();
  main.dataset.loaded = 'false';
  nav.replaceChildren(...pages.map((candidate) => el('a', { href: `#/${candidate.path}`, ...(candidate === page ? { class: 'active' } : {}) }, candidate.title)));
  const view = page.open({
    params,
    go: (values) => {
      const query = new URLSearchParams(Object.entries(values).filter(([, value]) => value !== ''));
      location.hash = `#/${page.path}${query.size > 0 ? `?${query}` : ''}`;
    },
  });
  document.title = `${page.title} · Proofline console`;
  main.replaceChildren(el('h1', {}, page.title), view.node);
  const opened = { view, timer: undefined as number | undefined };
  current = opened;
  // The next refresh is scheduled once this one is done: a slow gateway never gets requests piling up.
  const loop = async () => {
    await refresh(view).catch((error: unknown) => (status.textContent = `Refresh failed: ${String(error)}`));
    if (current === opened && view.live) opened.timer = window.setTimeout(loop, REFRESH_MS);
  };
  void loop();
}

function sessionChanged(): void {
  void renderSession(session, sessionChanged);
  open();
}

window.addEventListener('hashchange', open);
void renderSession(session, sessionChanged);
open();
