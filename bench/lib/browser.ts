import { chromium, type Browser, type Page } from '@playwright/test';
import { CART_THREE_HUNKS, scriptedResponse } from '../../lib/seed/scripted-edits';
import { tokenize } from '../../server/sim/tokens';
import type { SimTiming } from '../../server/sim/sim-server';
import { APP_URL, PEER_URL, SIM_URL, simFetch } from '../../test/support/processes';
import { PAGE_HOOK } from './page-hook';
import { createBenchSession, useBenchIdentity } from './identity';
import { cumulative, deliveryLags, mean } from '../../test/support/stats';

/**
 * Sections 1–4 of the benchmark, in Chromium: the same simulator answers both harnesses, and
 * every figure is taken inside the page (the `__flintBench` hook) against the simulator's own
 * timestamps, after lining the page's clock up with the simulator's.
 */

export type HarnessName = 'flint' | 'peer';
/** One row of lib/client/ttft-stages.ts, as the page hook got it. */
export type Stage = { stage: string; ms: number | null };
const PATH = 'src/cart.ts';

/** An answer of about `tokens` tokens: a sentence, then one SEARCH/REPLACE block with a long REPLACE. */
export function benchAnswer(marker: string, tokens: number): { text: string; tokens: number } {
  const lines: string[] = [];
  let n = 0;
  for (let i = 0; n < tokens; i++) {
    const line = `    // ${marker} step ${i} of the streamed replacement\n`;
    lines.push(line);
    n += tokenize(line).length;
  }
  const text = scriptedResponse([{ path: PATH, search: CART_THREE_HUNKS[2].search, replace: lines.join('') }], 'Bench.');
  return { text, tokens: tokenize(text).length };
}

let markerSeq = 0;
const marker = () => `bench${Date.now().toString(36)}x${(markerSeq++).toString(36)}`;

interface Hooked {
  name: HarnessName;
  page: Page;
  /** simulator clock − page clock, ms. */
  offset: number;
}

function newSession(): Promise<string> {
  return createBenchSession(APP_URL);
}

/** Opens a session's workspace with the benchmark's file, and waits until it is joined and painted. */
async function openWorkspace(page: Page, sessionId: string) {
  await page.goto(`${APP_URL}/s/${sessionId}`);
  await page.getByTestId('connection-status').filter({ hasText: 'ready' }).waitFor({ timeout: 60_000 });
  await page.locator(`[data-testid="file-item"][data-path="${PATH}"]`).click();
  await page.locator('[data-testid="editor"][data-ready="true"] .view-line').first().waitFor({ timeout: 60_000 });
  await page.waitForFunction(() => !!(window as unknown as { __flintBench: { socket: unknown } }).__flintBench.socket);
}

/** The page's clock against the simulator's: the sample with the shortest round trip wins. */
async function calibrate(page: Page): Promise<number> {
  const r = await page.evaluate(async (simUrl) => {
    const now = () => performance.timeOrigin + performance.now();
    let best = { rtt: Infinity, offset: 0 };
    for (let i = 0; i < 25; i++) {
      const t0 = now();
      const j = (await (await fetch(`${simUrl}/_sim/clock`, { cache: 'no-store' })).json()) as { now: number };
      const t1 = now();
      if (t1 - t0 < best.rtt) best = { rtt: t1 - t0, offset: j.now - (t0 + t1) / 2 };
    }
    return best;
  }, SIM_URL);
  return r.offset;
}

export class BrowserBench {
  private constructor(
    readonly browser: Browser,
    readonly flint: Hooked,
    readonly peer: Hooked,
    public sessionId: string,
  ) {}

  /**
   * Moves Flint's page to a new session (a reload, as a person opening a link would): each
   * configuration starts from a short thread, as the peer page starts each run from an empty chat.
   */
  async freshSession() {
    this.sessionId = await newSession();
    await openWorkspace(this.flint.page, this.sessionId);
    for (let i = 0; i < 2; i++) await this.stream(this.flint, { tokens: 300, tps: 3000, ttftMs: 0 });
    this.flint.offset = await calibrate(this.flint.page);
  }

  static async start(): Promise<BrowserBench> {
    const browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
      args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
    });
    const open = async (url: string): Promise<Page> => {
      // bypassCSP: the IDE's CSP allows connect-src 'self' only, and calibrate() fetches the
      // simulator's clock from the page. Nothing else the page does depends on it.
      const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, bypassCSP: true });
      await useBenchIdentity(ctx, APP_URL);
      await ctx.addInitScript(PAGE_HOOK);
      const page = await ctx.newPage();
      await page.goto(url);
      return page;
    };
    const sessionId = await newSession();
    const fp = await open('about:blank');
    await openWorkspace(fp, sessionId);
    const pp = await open(PEER_URL);
    await pp.locator('[data-testid="editor"][data-ready="true"] .view-line').first().waitFor({ timeout: 60_000 });
    const b = new BrowserBench(browser, { name: 'flint', page: fp, offset: 0 }, { name: 'peer', page: pp, offset: 0 }, sessionId);
    await b.calibrate();
    // One warm-up stream each: first-use costs (JIT, lazy chunks, connection set-up) are not what we compare.
    for (const h of [b.flint, b.peer]) await b.stream(h, { tokens: 300, tps: 3000, ttftMs: 0 });
    return b;
  }

  /**
   * The first prompt of a new session, as a person opening one would send it: Flint's page on a
   * session it has never streamed in; the peer's page reloaded (a new chat, nothing warmed).
   */
  async coldStart(h: Hooked) {
    if (h.name === 'flint') {
      this.sessionId = await newSession();
      await openWorkspace(h.page, this.sessionId);
    } else {
      await h.page.reload();
      await h.page.locator('[data-testid="editor"][data-ready="true"] .view-line').first().waitFor({ timeout: 60_000 });
    }
    h.offset = await calibrate(h.page);
  }

  /** The display frame of this run: median requestAnimationFrame interval over `ms` in an idle page. */
  async displayFrame(h: Hooked, ms = 1000): Promise<number> {
    return h.page.evaluate((dur) => new Promise<number>((resolve) => {
      const ts: number[] = [];
      const loop = (t: number) => {
        ts.push(t);
        if (t - ts[0] < dur) requestAnimationFrame(loop);
        else {
          const d = ts.slice(1).map((x, i) => x - ts[i]).sort((a, b) => a - b);
          resolve(d[Math.floor(d.length / 2)]);
        }
      };
      requestAnimationFrame(loop);
    }), ms);
  }

  async calibrate() {
    this.flint.offset = await calibrate(this.flint.page);
    this.peer.offset = await calibrate(this.peer.page);
  }

  harness(name: HarnessName): Hooked {
    return name === 'flint' ? this.flint : this.peer;
  }

  private async submit(h: Hooked, prompt: string) {
    await h.page.evaluate(() => (window as unknown as { __flintBench: { reset(): void } }).__flintBench.reset());
    const input = h.page.getByTestId('prompt-input');
    await input.fill(prompt);
    if (h.name === 'flint') await input.press('Enter');
    else await h.page.getByTestId('prompt-submit').click();
  }

  private paintedChars(h: Hooked): Promise<number> {
    return h.page.evaluate(() => {
      const f = (window as unknown as { __flintBench: { frames: number[] } }).__flintBench.frames;
      let n = 0;
      for (let k = 1; k < f.length; k += 2) n += f[k];
      return n;
    });
  }

  private async settle(h: Hooked, status: 'done' | 'interrupted') {
    await h.page.getByTestId('stream-status').filter({ hasText: status }).waitFor({ timeout: 60_000 });
    if (h.name === 'flint') {
      // Reject what the turn proposed, so pending hunks do not pile up over hundreds of runs.
      const reject = h.page.getByTestId('reject-all');
      if (await reject.isEnabled().catch(() => false)) await reject.click();
    }
  }

  private async timing(match: string): Promise<SimTiming> {
    // Up to 10 s for the simulator to see the request close: a loaded machine can be slow to get
    // there, and the figures come from the simulator's own timestamps, not from this wait.
    for (let i = 0; i < 500; i++) {
      const t = (await simFetch<SimTiming[]>(`/_sim/timings?match=${match}`)).at(-1);
      if (t && t.closedAt !== null) return t;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`no simulator timing for ${match}`);
  }

  /**
   * One streamed answer through harness `h`. Added TTFT: first painted frame − first upstream
   * write. Per-token: mean delivery lag over every character (painted − written upstream).
   */
  async stream(h: Hooked, o: { tokens: number; tps: number; ttftMs: number; sample?: boolean }) {
    const m = marker();
    const answer = benchAnswer(m, o.tokens);
    await simFetch('/_sim/rules', { method: 'POST', body: { match: m, text: answer.text, tokensPerSecond: o.tps, ttftMs: o.ttftMs, times: 1 } });
    if (o.sample) await h.page.evaluate(() => (window as unknown as { __flintBench: { startSampling(): void } }).__flintBench.startSampling());
    await this.submit(h, `Bench ${m}`);
    await h.page.waitForFunction(
      (n) => {
        const f = (window as unknown as { __flintBench: { frames: number[] } }).__flintBench.frames;
        let c = 0;
        for (let k = 1; k < f.length; k += 2) c += f[k];
        return c >= n;
      },
      answer.text.length,
      { timeout: 120_000, polling: 50 },
    );
    const hook = await h.page.evaluate((sample) => {
      const b = (window as unknown as { __flintBench: { frames: number[]; arrivals: number[]; rafs: number[]; longtasks: number[]; submits: number[]; stopSampling(): void } }).__flintBench;
      if (sample) b.stopSampling();
      return { frames: b.frames, arrivals: b.arrivals, rafs: b.rafs, longtasks: b.longtasks, submits: b.submits };
    }, !!o.sample);
    await this.settle(h, 'done');
    // Flint: its runtime hands the stages over when the turn's ai:end has been handled.
    const stages = h.name === 'flint'
      ? await h.page.waitForFunction(() => (window as unknown as { __flintBench: { lastStages: Stage[] | null } }).__flintBench.lastStages, undefined, { timeout: 10_000 }).then((j) => j.jsonValue() as Promise<Stage[]>)
      : null;
    const t = await this.timing(m);
    const lags = deliveryLags(t.writes, cumulative(hook.frames), h.offset);
    const weighted = lags.reduce((s, l) => s + l.lag * l.chars, 0) / lags.reduce((s, l) => s + l.chars, 0);
    // Flint only: when the first delta reached the page, before any parsing or painting.
    const arrival = hook.arrivals.length ? deliveryLags(t.writes, cumulative(hook.arrivals), h.offset) : [];
    return {
      /** Submit (Enter / the click) → the first frame that painted answer text, on the page's own clock. */
      e2eMs: hook.submits.length ? hook.frames[0] - hook.submits[hook.submits.length - 1] : NaN,
      stages,
      addedTtftMs: lags[0].lag,
      arrivalMs: arrival.length ? arrival[0].lag : NaN,
      perTokenMs: weighted,
      tokens: answer.tokens,
      frames: o.sample ? hook.rafs.slice(1).map((x, i) => x - hook.rafs[i]) : [],
      longtasks: o.sample ? hook.longtasks.filter((_, i) => i % 2 === 1) : [],
    };
  }

  /** Click → last change to the live diff, and click → the simulator saw the connection close. */
  async interrupt(h: Hooked, o: { tps: number }) {
    const m = marker();
    const answer = benchAnswer(m, 20_000);
    await simFetch('/_sim/rules', { method: 'POST', body: { match: m, text: answer.text, tokensPerSecond: o.tps, ttftMs: 0, times: 1 } });
    await this.submit(h, `Bench ${m}`);
    await h.page.waitForFunction(() => {
      const f = (window as unknown as { __flintBench: { frames: number[] } }).__flintBench.frames;
      let c = 0;
      for (let k = 1; k < f.length; k += 2) c += f[k];
      return c >= 4000 && !!document.querySelector('[data-kind="live"]');
    }, undefined, { timeout: 60_000, polling: 20 });
    await h.page.evaluate(() => (window as unknown as { __flintBench: { watchZones(on: boolean): void } }).__flintBench.watchZones(true));
    // A click event straight on the button: under heavy load a page re-rendering on every chunk
    // (the peer's useChat) never holds the button still long enough for Playwright's actionability
    // checks, and the stream ended before the click landed.
    await h.page.getByTestId('interrupt').dispatchEvent('click');
    await h.page.waitForTimeout(700);
    const r = await h.page.evaluate(() => {
      const b = (window as unknown as { __flintBench: { frames: number[]; clicks: number[]; zoneChanges: number[]; watchZones(on: boolean): void } }).__flintBench;
      b.watchZones(false);
      const click = b.clicks.at(-1)!;
      const frameTimes = b.frames.filter((_, i) => i % 2 === 0).filter((t) => t >= click);
      const changes = b.zoneChanges.filter((t) => t >= click);
      return { click, last: Math.max(click, ...frameTimes, ...changes) };
    });
    await this.settle(h, h.name === 'flint' ? 'interrupted' : 'done').catch(() => undefined);
    const t = await this.timing(m);
    // An answer that had finished upstream before the click measured no interrupt: a failed sample (retried, reported).
    if (t.closedAt! - h.offset < r.click) throw new Error(`${h.name}: the answer had finished upstream ${(r.click - (t.closedAt! - h.offset)).toFixed(0)} ms before the click`);
    return { toLastPaintMs: r.last - r.click, toUpstreamCloseMs: t.closedAt! - h.offset - r.click };
  }

  /** Round trips of a request that does nothing: on Flint's socket, and to the peer's route. */
  async noop(h: Hooked, n: number): Promise<number[]> {
    if (h.name === 'flint') {
      return h.page.evaluate(async (count) => {
        const s = (window as unknown as { __flintBench: { socket: { emit(e: string, p: unknown, ack: () => void): void } } }).__flintBench.socket;
        const out: number[] = [];
        for (let i = 0; i < count; i++) {
          const t0 = performance.now();
          await new Promise<void>((resolve) => s.emit('ai:interrupt', { streamId: 'bench-noop' }, () => resolve()));
          out.push(performance.now() - t0);
        }
        return out;
      }, n);
    }
    return h.page.evaluate(async (count) => {
      const noop = (window as unknown as { __peerNoop: () => Promise<void> }).__peerNoop;
      const out: number[] = [];
      for (let i = 0; i < count; i++) {
        const t0 = performance.now();
        await noop();
        out.push(performance.now() - t0);
      }
      return out;
    }, n);
  }

  /** Keystroke in browser A → the character on screen in browser B (same session), `n` times. */
  async pairing(n: number): Promise<number[]> {
    const ctx = await this.browser.newContext({ viewport: { width: 1280, height: 800 }, bypassCSP: true });
    await useBenchIdentity(ctx, APP_URL); // the same person in a second window
    await ctx.addInitScript(PAGE_HOOK);
    const b = await ctx.newPage();
    await b.goto(`${APP_URL}/s/${this.sessionId}`);
    await b.getByTestId('connection-status').filter({ hasText: 'ready' }).waitFor({ timeout: 60_000 });
    await b.locator(`[data-testid="file-item"][data-path="${PATH}"]`).click();
    await b.locator('[data-testid="editor"][data-ready="true"] .view-line').first().waitFor({ timeout: 60_000 });
    const a = this.flint.page;
    await a.locator('[data-testid="editor"] .view-line').first().click();
    await a.keyboard.press('End');
    await a.keyboard.type('//');
    await b.waitForFunction(() => document.querySelector('[data-testid="editor"] .view-lines')?.textContent?.includes('{//'));
    // A records each keydown; B records when the text it expects is on screen.
    await a.evaluate(() => {
      const w = window as unknown as { __keys: number[] };
      w.__keys = [];
      window.addEventListener('keydown', () => w.__keys.push(performance.timeOrigin + performance.now()), true);
      // When A's socket sends each document update: the part of the lag spent in A.
      const x = window as unknown as { __sent: number[]; __flintBench: { socket: { emit(...a: unknown[]): unknown } } };
      x.__sent = [];
      const s = x.__flintBench.socket;
      const emit = s.emit.bind(s);
      s.emit = (...args: unknown[]) => {
        if (args[0] === 'doc:update') x.__sent.push(performance.timeOrigin + performance.now());
        return emit(...args);
      };
    });
    await b.evaluate(() => {
      const w = window as unknown as { __docArrivals: number[]; __flintBench: { socket: { on(e: string, f: () => void): void } } };
      w.__docArrivals = [];
      w.__flintBench.socket.on('doc:update', () => w.__docArrivals.push(performance.timeOrigin + performance.now()));
    });
    const seen: number[] = [];
    let typed = '{//';
    for (let i = 0; i < n; i++) {
      const ch = 'abcdefghijklmnopqrstuvwxyz'[i % 26];
      typed += ch;
      const wait = b.evaluate((want) => new Promise<number>((resolve) => {
        const lines = document.querySelector('[data-testid="editor"] .view-lines')!;
        const check = () => lines.textContent?.includes(want);
        const obs = new MutationObserver(() => {
          if (check()) {
            obs.disconnect();
            resolve(performance.timeOrigin + performance.now());
          }
        });
        obs.observe(lines, { subtree: true, childList: true, characterData: true });
      }), typed);
      await new Promise((r) => setTimeout(r, 30)); // the observer is in place before the key
      await a.keyboard.press(ch);
      seen.push(await wait);
      await new Promise((r) => setTimeout(r, 40));
    }
    const keys = await a.evaluate(() => (window as unknown as { __keys: number[] }).__keys);
    const sent = await a.evaluate(() => (window as unknown as { __sent: number[] }).__sent);
    this.pairingSent = keys.map((k, i) => (sent.find((t) => t >= k && t <= seen[i]) ?? NaN) - k);
    const arrivals = await b.evaluate(() => (window as unknown as { __docArrivals: number[] }).__docArrivals);
    // The first update B receives after each key: how much of the lag is before B's own rendering.
    this.pairingArrivals = keys.map((k, i) => (arrivals.find((t) => t >= k && t <= seen[i]) ?? NaN) - k);
    // Leave the file as it was: undo what was typed (the peer page never sees this file).
    for (let i = 0; i < n + 2; i++) await a.keyboard.press('Control+Z');
    await ctx.close();
    return seen.map((t, i) => t - keys[i]);
  }

  /** Keystroke in A → the update arriving on B's socket, per keystroke of the last `pairing`. */
  pairingArrivals: number[] = [];
  /** Keystroke in A → A's socket sending the update. */
  pairingSent: number[] = [];

  async close() {
    await this.browser.close();
  }
}

export { mean };
