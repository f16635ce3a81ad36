/**
 * What the benchmark installs in every page before it loads (`page.addInitScript`): the
 * `window.__flintBench` hook the session runtime and the peer page call (lib/client/bench-hook.ts
 * — keep in sync), a frame-time and long-task sampler, and click / DOM-change recorders for the
 * interrupt measurement. Plain JavaScript in a string: tsx would otherwise add helpers the page
 * does not have. Times are epoch milliseconds (`performance.timeOrigin + performance.now()`).
 */
export const PAGE_HOOK = `
(() => {
  window.__name = window.__name || ((f) => f); // esbuild keepNames helper, for page.evaluate bodies
  const now = () => performance.timeOrigin + performance.now();
  const hook = {
    socket: null,
    frames: [],      // [t, chars, t, chars, …] per painted frame
    rafs: [],        // rAF timestamps while sampling
    longtasks: [],   // [startEpoch, duration] while sampling
    clicks: [],      // epoch times of clicks on [data-testid=interrupt]
    zoneChanges: [], // epoch times of DOM changes to live diff zones
    sampling: false,
    arrivals: [],    // [t, chars, …] per ai:delta received on Flint's socket (before any parsing)
    submits: [],     // epoch times of each submit: Enter in the prompt box (keydown) or a click on its button, capture phase
    lastStages: null, // Flint only: the last own turn's TTFT stages (lib/client/ttft-stages.ts), from the runtime
    attach(s) { hook.socket = s; s.on('ai:delta', (e) => hook.arrivals.push(now(), e.text.length)); },
    frame(_id, text) { hook.frames.push(now(), text.length); },
    stages(_id, stages) { hook.lastStages = stages; },
    reset() { hook.frames = []; hook.arrivals = []; hook.clicks = []; hook.zoneChanges = []; hook.submits = []; hook.lastStages = null; },
    startSampling() {
      hook.rafs = []; hook.longtasks = []; hook.sampling = true;
      const loop = (t) => { if (!hook.sampling) return; hook.rafs.push(t); requestAnimationFrame(loop); };
      requestAnimationFrame(loop);
    },
    stopSampling() { hook.sampling = false; },
    now,
  };
  try {
    new PerformanceObserver((list) => {
      if (!hook.sampling) return;
      for (const e of list.getEntries()) hook.longtasks.push(performance.timeOrigin + e.startTime, e.duration);
    }).observe({ type: 'longtask' });
  } catch {}
  document.addEventListener('click', (e) => {
    const t = e.target;
    if (t instanceof Element && t.closest('[data-testid="interrupt"]')) hook.clicks.push(now());
    if (t instanceof Element && t.closest('[data-testid="prompt-submit"]')) hook.submits.push(now());
  }, true);
  document.addEventListener('keydown', (e) => {
    const t = e.target;
    if (e.key === 'Enter' && !e.shiftKey && t instanceof Element && t.closest('[data-testid="prompt-input"]')) hook.submits.push(now());
  }, true);
  const isLive = (n) => n instanceof Element && (n.matches('[data-kind="live"]') || !!n.closest('[data-kind="live"]'));
  // Only while measuring an interrupt: observing all of Monaco's DOM costs time on every frame.
  const zones = new MutationObserver((records) => {
    for (const r of records) {
      if (isLive(r.target) || [...r.addedNodes].some(isLive) || [...r.removedNodes].some(isLive)) { hook.zoneChanges.push(now()); return; }
    }
  });
  hook.watchZones = (on) => on ? zones.observe(document, { subtree: true, childList: true, characterData: true }) : zones.disconnect();
  window.__flintBench = hook;
})();
`;
