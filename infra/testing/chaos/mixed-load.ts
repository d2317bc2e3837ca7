// The chaos scenarios' client: a mixed load of votes, bills and reviews sent over HTTP by several workers,
// each write with its own Idempotency-Key, as a careful client would send it. A write that gets no answer
// (the connection broke) or a 5xx is sent again with the same key until it is answered, so a write is
// either acknowledged once or still unanswered when the load stops; `settle()` then sends what is left.
// `ledger()` reads the whole log back and counts acknowledged writes missing from it and business keys
// recorded twice.

import { setTimeout as pause } from 'node:timers/promises';

export type Write = { kind: 'vote' | 'bill' | 'review'; key: string; url: string; body: object; credential: string; businessKey: string; eventId?: string };

export type Answer = { status: number; body: Record<string, unknown>; ms: number };

export type Ledger = { acknowledged: number; lost: number; duplicated: number };

/** A client's pause before it sends a refused or unanswered write again. */
const RETRY_PAUSE_MS = 100;

export class MixedLoad {
  readonly acknowledged: Write[] = [];
  /** Writes sent while the platform could not answer, waiting for settle(). */
  private unanswered: Write[] = [];
  private sequence = 0;
  /** 5xx answers seen, by error code (`not_ready` while a store is down). */
  readonly refusals = new Map<string, number>();

  private constructor(
    private readonly base: string,
    private readonly admin: string,
    private readonly ballotBox: string,
    private readonly reviewers: string[],
  ) {}

  /**
   * The market and the ballot: one decision (a ballot box names the voters), a publisher and a platform
   * with a deep escrow, a company, and a key per reviewer (`reviewers` caps the reviews).
   */
  static async prepare(base: string, admin: string, options: { reviewers?: number } = {}): Promise<MixedLoad> {
    const setup = new MixedLoad(base, admin, '', []);
    const must = (method: string, url: string, body: object) => setup.must(method, url, body);
    await must('POST', '/v1/decisions', { decisionId: 'chaos', title: 'Chaos', options: ['yes', 'no'] });
    const ballotBox = `Bearer ${(await must('POST', '/v1/admin/keys', { role: 'ballot-box' })).key}`;
    await must('POST', '/v1/participants', { participantId: 'pub', role: 'publisher', name: 'Publisher' });
    await must('POST', '/v1/participants', { participantId: 'bot', role: 'platform', name: 'Crawler' });
    await must('PUT', '/v1/publishers/pub/price', { pricePerCrawl: 10 });
    await must('POST', '/v1/platforms/bot/deposits', { amount: 1_000_000_000_000 });
    await must('POST', '/v1/companies', { companyId: 'acme', name: 'Acme' });
    const reviewers: string[] = [];
    for (let i = 0; i < (options.reviewers ?? 300); i++) {
      reviewers.push(`Bearer ${(await must('POST', '/v1/admin/keys', { role: 'auditor', subject: `reviewer-${i}` })).key}`);
    }
    return new MixedLoad(base, admin, ballotBox, reviewers);
  }

  async call(method: string, url: string, body: object | undefined, credential = this.admin, key?: string): Promise<Answer> {
    const started = Date.now();
    const response = await fetch(`${this.base}${url}`, {
      method,
      headers: { authorization: credential, ...(body ? { 'content-type': 'application/json' } : {}), ...(key ? { 'idempotency-key': key } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: response.status, body: (await response.json().catch(() => ({}))) as Record<string, unknown>, ms: Date.now() - started };
  }

  async must(method: string, url: string, body?: object): Promise<Record<string, unknown>> {
    const answer = await this.call(method, url, body);
    if (answer.status >= 300) throw new Error(`${method} ${url}: ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.body;
  }

  /** `workers` concurrent clients until stop() is called; stop() resolves once every worker has returned. */
  start(workers: number): { stop(): Promise<void> } {
    let stopped = false;
    const running = Array.from({ length: workers }, async () => {
      while (!stopped) {
        const write = this.nextWrite();
        if (!write) return;
        while (!stopped && (await this.send(write)) !== 'answered') await pause(RETRY_PAUSE_MS);
      }
    });
    return {
      async stop() {
        stopped = true;
        await Promise.all(running);
      },
    };
  }

  /**
   * Sends every write still unanswered again, with its key, until each is answered: recorded once, whether
   * or not it went through before. A key whose request was cut off mid-way answers 409 in_progress until
   * its claim times out. Returns how many were sent again.
   */
  async settle(timeoutMs = 60_000): Promise<number> {
    const retry = this.unanswered;
    this.unanswered = [];
    const deadline = Date.now() + timeoutMs;
    for (const write of retry) {
      while ((await this.send(write)) !== 'answered') {
        if (Date.now() > deadline) throw new Error(`${write.kind} ${write.key} is still unanswered after ${timeoutMs} ms`);
        await pause(RETRY_PAUSE_MS * 2.5);
      }
    }
    return retry.length;
  }

  /** Every acknowledged write in the log exactly once, no business key (voter, crawl, reviewer) recorded twice. */
  async ledger(): Promise<Ledger> {
    if (this.unanswered.length > 0) throw new Error(`${this.unanswered.length} writes are still unanswered: settle() first`);
    const seen = new Map<string, number>();
    const business = new Map<string, number>();
    for (let fromLsn = 1; ; ) {
      const { events } = (await this.must('GET', `/v1/log?fromLsn=${fromLsn}&limit=1000`)) as { events: { eventId: string; type: string; lsn: number; data: Record<string, unknown> }[] };
      if (events.length === 0) break;
      for (const event of events) {
        seen.set(event.eventId, (seen.get(event.eventId) ?? 0) + 1);
        const key = event.type === 'VoteCast' ? event.data.voterId : event.type === 'CrawlBilled' ? event.data.crawlId : event.type === 'SubmissionScored' ? event.data.reviewerPseudonym : undefined;
        if (key !== undefined) business.set(`${event.type}:${String(key)}`, (business.get(`${event.type}:${String(key)}`) ?? 0) + 1);
      }
      fromLsn = events.at(-1)!.lsn + 1;
    }
    return {
      acknowledged: this.acknowledged.length,
      lost: this.acknowledged.filter((write) => seen.get(write.eventId!) !== 1).length,
      duplicated: [...business.values()].filter((count) => count > 1).length,
    };
  }

  private nextWrite(): Write | undefined {
    const n = this.sequence++;
    switch (n % 3) {
      case 0:
        return { kind: 'vote', key: `v-${n}`, url: '/v1/decisions/chaos/votes', body: { voterId: `voter-${n}`, option: n % 2 ? 'yes' : 'no' }, credential: this.ballotBox, businessKey: `voter-${n}` };
      case 1:
        return { kind: 'bill', key: `b-${n}`, url: '/v1/crawls', body: { crawlId: `crawl-${n}`, platformId: 'bot', publisherId: 'pub', url: `https://pub.example/${n}`, bytes: 1000 }, credential: this.admin, businessKey: `crawl-${n}` };
      default: {
        const reviewer = this.reviewers.shift();
        if (!reviewer) return this.nextWrite();
        const scores = { managementQuality: 50, cultureEnvironment: 60, fairnessEquity: 70, transparency: 40, growthDevelopment: 55 };
        return { kind: 'review', key: `r-${n}`, url: '/v1/companies/acme/submissions', body: { scores }, credential: reviewer, businessKey: reviewer };
      }
    }
  }

  /** 'answered': acknowledged (or refused for good, which throws); otherwise the write waits in `unanswered`. */
  private async send(write: Write): Promise<'answered' | 'unanswered' | 'in_progress'> {
    let answer: Answer;
    try {
      answer = await this.call('POST', write.url, write.body, write.credential, write.key);
    } catch (error) {
      // The connection broke or was refused: the platform (or its gateway) is down.
      if (!(error instanceof TypeError)) throw error;
      this.remember(write);
      return 'unanswered';
    }
    if (answer.status >= 200 && answer.status < 300) {
      write.eventId = String(answer.body.eventId ?? answer.body.submissionId);
      this.forget(write);
      this.acknowledged.push(write);
      return 'answered';
    }
    if (answer.status >= 500) {
      const code = String(answer.body.error ?? answer.status);
      this.refusals.set(code, (this.refusals.get(code) ?? 0) + 1);
      this.remember(write);
      return 'unanswered';
    }
    if (answer.body.error === 'idempotency_key_in_progress') {
      this.remember(write);
      return 'in_progress';
    }
    throw new Error(`${write.kind} ${write.key}: ${answer.status} ${JSON.stringify(answer.body)}`);
  }

  private remember(write: Write) {
    if (!this.unanswered.includes(write)) this.unanswered.push(write);
  }

  private forget(write: Write) {
    const index = this.unanswered.indexOf(write);
    if (index >= 0) this.unanswered.splice(index, 1);
  }
}
