/**
 * The sandbox host: the only script of the opaque-origin iframe served by app/sandbox/route.ts.
 * It takes run requests from the IDE page (its parent), runs each test file in a fresh Worker
 * started from a blob: URL, and relays what the worker reports. It is the one that enforces time:
 * a worker that stops making progress is terminated — JavaScript cannot preempt itself, so this
 * is the only way to stop `while (true) {}`.
 *
 * Invariants:
 * - Messages are accepted only from `window.parent` at the IDE's origin, and only in the shape of `IdeToHost`;
 *   worker messages only in the shape of `WorkerEvent`. Anything else is dropped.
 * - One run at a time; a new `run` cancels the one in progress.
 * - The watchdog is re-armed by progress (`collected`, `test-start`, `test`), never by console
 *   output, so a loop that logs forever is still stopped.
 * - Every collected test of a file is reported exactly once: a killed test as `timedout`, tests
 *   the worker never reached after a restart as they run in the next worker, and tests left when
 *   a limit ends the file as `timedout` with the reason (`skipped` when the person pressed Stop).
 */
import {
  IdeToHost,
  MAX_EVENTS_PER_MESSAGE,
  SANDBOX_PROTOCOL,
  WorkerBatch,
  WorkerEvent,
  type CollectedTest,
  type HostToIde,
  type PyodideAssets,
  type WorkerBoot,
  type RunEvent,
  type RunRequest,
  type RunUnit,
  type SerializedError,
  type WorkerStart,
} from '../protocol';
import { DomFrame, isDomFrame, serveAsDomFrame } from './dom-frame';
import { BundleUrlCache } from './url-cache';

/** What runs one test file: a Worker, or a document for a file in the DOM environment. */
type TestWorker = Worker | DomFrame;
/** A JS file that runs in a Worker (the ones spare workers are kept for). */
const inWorker = (u: RunUnit) => u.kind === 'js' && u.environment !== 'dom';

/** Extra time a worker gets to report its own (asynchronous) timeout before it is killed. */
const GRACE_MS = 1_000;
/** Loading Pyodide (compiling ~10 MB of WebAssembly) takes seconds on a slow machine. */
const PY_LOAD_MS = 60_000;

/**
 * The IDE page's origin, which this document's messages are addressed to: given by the route in
 * a <meta> when the IDE that asked for the sandbox may embed it (the sandbox is usually served
 * from another site, lib/sandbox/origin.ts), else the URL's own origin (this document's is "null").
 */
const parentOrigin = document.querySelector('meta[name="flint-ide-origin"]')?.getAttribute('content') || location.origin;
const runtimes: { js?: string; py?: string } = {};
/** The JS runtime's source, for DOM-environment frames (which cannot load `runtimes.js`, a URL of this origin). */
let jsRuntimeSource: string | undefined;
let pyodide: PyodideAssets | undefined;
let active: Run | null = null;

/**
 * Spare workers, started ahead of need: a JS worker has parsed its runtime, a Python worker has
 * booted Pyodide. Each run still gets fresh workers (a spare has never run a test); spares only
 * move their start-up out of the run. Between runs the host keeps as many JS spares as the last
 * run had JS files (at most `MAX_JS_SPARES`), so a warm run of several files waits for no worker
 * start (parsing the runtime takes 50–200 ms a worker); Python keeps one (a run shares one
 * interpreter). Spares are replaced when the runtime changes.
 */
const spares: { js: Worker[]; py: Worker[] } = { js: [], py: [] };
const MAX_JS_SPARES = 8;
/** After a run, JS spares start this long later: the IDE is busy showing the results meanwhile. */
const REFILL_DELAY_MS = 150;
let refillTimer: ReturnType<typeof setTimeout> | undefined;

function spawn(kind: 'js' | 'py'): Worker | null {
  const url = runtimes[kind];
  if (!url || (kind === 'py' && !pyodide)) return null;
  const worker = new Worker(url, { name: `flint-test-${kind}` });
  if (kind === 'py') worker.postMessage({ type: 'boot', pyodide: pyodide! } satisfies WorkerBoot);
  return worker;
}

function takeWorker(kind: 'js' | 'py'): Worker | null {
  return spares[kind].shift() ?? spawn(kind);
}

/** Starts spares until `count` of `kind` are ready or starting. */
function prepareSpares(kind: 'js' | 'py', count: number) {
  while (spares[kind].length < count) {
    let worker: Worker | null = null;
    try {
      worker = spawn(kind);
    } catch {
      worker = null;
    }
    if (!worker) return;
    spares[kind].push(worker);
  }
}

function dropSpares(kind: 'js' | 'py') {
  for (const w of spares[kind].splice(0)) w.terminate();
}

function send(message: HostToIde) {
  window.parent.postMessage(message, parentOrigin);
}

/**
 * A run's events go to the IDE in batches: what accumulates while the host is busy relaying a
 * worker's burst of results leaves in one message on the next task (one structured clone and one
 * validation in the IDE instead of hundreds). `run-end` goes at once, after everything before it.
 */
class EventBatcher {
  private queue: RunEvent[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly runId: string) {}

  push(event: RunEvent) {
    this.queue.push(event);
    if (event.type === 'run-end' || this.queue.length >= MAX_EVENTS_PER_MESSAGE) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), 0);
  }

  flush() {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.queue.length === 0) return;
    const events = this.queue;
    this.queue = [];
    send({ type: 'run-events', runId: this.runId, events });
  }
}

// In a DOM-environment test frame this script only bootstraps the runtime (dom-frame.ts).
if (isDomFrame()) serveAsDomFrame();
else window.addEventListener('message', onIdeMessage);

function onIdeMessage(ev: MessageEvent) {
  if (ev.source !== window.parent || ev.origin !== parentOrigin) return;
  const parsed = IdeToHost.safeParse(ev.data);
  if (!parsed.success) {
    console.warn('[sandbox] dropped a malformed message', parsed.error.issues.slice(0, 3));
    return;
  }
  const msg = parsed.data;
  switch (msg.type) {
    case 'ping':
      send({ type: 'pong', nonce: msg.nonce, protocol: SANDBOX_PROTOCOL });
      return;
    case 'cancel':
      if (active?.request.runId === msg.runId) active.cancel();
      return;
    case 'run':
      active?.cancel();
      clearTimeout(refillTimer);
      if (msg.jsRuntime) setRuntime('js', msg.jsRuntime);
      if (msg.pyRuntime) setRuntime('py', msg.pyRuntime);
      if (msg.pyodide) pyodide = msg.pyodide;
      active = new Run(msg);
      void active.start().finally(() => {
        if (active?.request.runId === msg.runId) active = null;
      });
      return;
    default:
      unreachable(msg);
  }
}

function unreachable(x: never): never {
  throw new Error(`unexpected ${JSON.stringify(x)}`);
}

function setRuntime(kind: 'js' | 'py', source: string) {
  if (runtimes[kind]) URL.revokeObjectURL(runtimes[kind]!);
  runtimes[kind] = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
  if (kind === 'js') jsRuntimeSource = source;
  dropSpares(kind);
}

const bundleUrls = new BundleUrlCache();

type Attempt =
  | { kind: 'done'; errors: SerializedError[]; worker: TestWorker }
  | { kind: 'killed'; testId: string | null; reason: 'test' | 'run' | 'cancel'; limitMs?: number }
  | { kind: 'crashed'; message: string };

class Run {
  private readonly started = performance.now();
  private readonly deadline: number;
  private cancelled = false;
  private stopCurrent: ((reason: 'run' | 'cancel') => void) | null = null;
  /** This run's Python interpreter, reused from one file to the next while it stays healthy. */
  private pyWorker: Worker | null = null;
  private readonly events: EventBatcher;
  /** JS files of this run not yet given a worker. */
  private jsLeft: number;

  constructor(readonly request: RunRequest) {
    this.deadline = this.started + request.limits.runTimeoutMs;
    this.events = new EventBatcher(request.runId);
    this.jsLeft = request.units.filter(inWorker).length;
  }

  private emit(event: RunEvent) {
    this.events.push(event);
  }

  cancel() {
    if (this.cancelled) return;
    this.cancelled = true;
    this.stopCurrent?.('cancel');
  }

  async start() {
    let status: 'done' | 'timedout' | 'cancelled' = 'done';
    for (const unit of this.request.units) {
      if (this.cancelled) {
        status = 'cancelled';
        break;
      }
      if (performance.now() >= this.deadline) {
        status = 'timedout';
        this.emit({ type: 'file-start', file: unit.file });
        this.emit({ type: 'file-end', file: unit.file, errors: [{ name: 'TimeoutError', message: `Not run: the run exceeded its ${this.request.limits.runTimeoutMs} ms limit.` }], consoleDropped: 0 });
        continue;
      }
      const outcome = await this.runUnit(unit);
      if (outcome === 'run-timeout') status = 'timedout';
      if (outcome === 'cancelled') status = 'cancelled';
    }
    this.pyWorker?.terminate();
    this.pyWorker = null;
    this.emit({ type: 'run-end', status, durationMs: performance.now() - this.started });
    // Ready for the next run: workers start (a new interpreter boots) while the person reads the results.
    if (status === 'cancelled') return;
    const jsFiles = this.request.units.filter(inWorker).length;
    const py = this.request.units.some((u) => u.kind === 'py');
    // Booting Pyodide takes seconds: it starts at once, as ever. JS workers start a moment later.
    if (py) prepareSpares('py', 1);
    clearTimeout(refillTimer);
    if (jsFiles > 0) refillTimer = setTimeout(() => prepareSpares('js', Math.min(jsFiles, MAX_JS_SPARES)), REFILL_DELAY_MS);
  }

  /** Runs one file, restarting its worker after each runaway test, until every test is reported. */
  private async runUnit(unit: RunUnit): Promise<'ok' | 'run-timeout' | 'cancelled'> {
    const { limits, filter } = this.request;
    const file = unit.file;
    this.emit({ type: 'file-start', file });
    const reported = new Set<string>();
    const seen = { collected: null as CollectedTest[] | null };
    const errors: SerializedError[] = [];
    let consoleDropped = 0;
    const inDom = unit.kind === 'js' && unit.environment === 'dom';
    // A DOM frame is another opaque origin: it gets the code, not this document's blob: URL.
    const code = inDom ? { code: unit.code } : unit.kind === 'js' ? { codeUrl: bundleUrls.urlFor(unit.file, unit.code) } : {};
    const runtimeUrl = runtimes[unit.kind];
    let result: 'ok' | 'run-timeout' | 'cancelled' = 'ok';
    try {
      if (!runtimeUrl || (unit.kind === 'py' && !pyodide)) {
        errors.push({ message: `The ${unit.kind === 'js' ? 'JavaScript' : 'Python'} runtime was not sent to the sandbox.` });
        return result;
      }
      for (let attempt = 0; ; attempt++) {
        let worker: TestWorker | null;
        try {
          worker = inDom ? new DomFrame(jsRuntimeSource!) : unit.kind === 'py' && this.pyWorker ? this.pyWorker : takeWorker(unit.kind);
        } catch (err) {
          errors.push({ name: 'SandboxError', message: `Could not start a worker: ${String(err)}` });
          break;
        }
        if (unit.kind === 'py') this.pyWorker = null;
        if (!worker) {
          errors.push({ name: 'SandboxError', message: 'Could not start a worker.' });
          break;
        }
        if (unit.kind === 'js' && unit.environment !== 'dom') {
          if (attempt === 0) this.jsLeft--;
          // One worker starting ahead while this one runs, when a later file will need it.
          if (this.jsLeft > 0 || attempt > 0) prepareSpares('js', 1);
        }
        const outcome = await this.attempt(worker, unit.kind === 'py', {
          type: 'start',
          file,
          ...code,
          filter,
          skipIds: [...reported],
          testTimeoutMs: limits.testTimeoutMs,
          consoleMaxChars: limits.consoleMaxChars,
          ...(unit.kind === 'py' ? { pyFiles: this.request.pyFiles ?? {} } : {}),
        }, unit.kind === 'py' ? PY_LOAD_MS : limits.testTimeoutMs + GRACE_MS, {
          collected: (tests) => {
            if (seen.collected) return;
            seen.collected = tests;
            // Relayed once per file: should this process die mid-file, the IDE still knows
            // which tests it interrupted (aggregate.ts markInterrupted).
            this.emit({ type: 'collected', file, tests });
          },
          test: (r) => {
            if (reported.has(r.id)) return;
            reported.add(r.id);
            this.emit({ type: 'test', file, result: r });
          },
          console: (entry) => this.emit({ type: 'console', file, entry }),
          consoleDropped: (n) => {
            consoleDropped += n;
          },
        });
        if (outcome.kind === 'done') {
          errors.push(...outcome.errors);
          if (unit.kind === 'py' && !this.cancelled) this.pyWorker = outcome.worker as Worker;
          else outcome.worker.terminate();
          break;
        }
        if (outcome.kind === 'crashed') {
          errors.push({ name: 'SandboxError', message: outcome.message });
          break;
        }
        // Killed: the test that was running overran.
        const limitMs = outcome.reason === 'run' ? limits.runTimeoutMs : (outcome.limitMs ?? limits.testTimeoutMs);
        const why =
          outcome.reason === 'cancel'
            ? 'Stopped: the run was cancelled.'
            : outcome.reason === 'run'
              ? `Stopped: the run exceeded its ${limitMs} ms limit.`
              : `Stopped after ${limitMs} ms: the test did not finish in time (its worker was terminated).`;
        // A person's Stop is not a failure: what it interrupts is reported skipped.
        const stopped = outcome.reason === 'cancel' ? 'skipped' : 'timedout';
        if (outcome.testId !== null && !reported.has(outcome.testId)) {
          const test = seen.collected?.find((t) => t.id === outcome.testId);
          reported.add(outcome.testId);
          this.emit({
            type: 'test',
            file,
            result: { id: outcome.testId, name: test?.name ?? [`test ${outcome.testId}`], status: stopped, durationMs: outcome.reason === 'test' ? limitMs : 0, error: { name: 'TimeoutError', message: why } },
          });
        }
        const remaining = (seen.collected ?? []).filter((t) => !reported.has(t.id));
        const canResume = outcome.reason === 'test' && outcome.testId !== null && remaining.length > 0 && attempt < limits.maxRestarts;
        if (canResume) continue;
        if (outcome.reason === 'run') result = 'run-timeout';
        if (outcome.reason === 'cancel') result = 'cancelled';
        if (outcome.testId === null) {
          errors.push({
            name: 'TimeoutError',
            message: outcome.reason === 'test' ? `The file did not finish loading, or a beforeAll/afterAll hook did not finish, within ${limitMs} ms; its worker was terminated.` : why,
          });
        }
        for (const t of remaining) {
          reported.add(t.id);
          this.emit({ type: 'test', file, result: { ...t, status: stopped, durationMs: 0, error: { name: 'TimeoutError', message: `Not run. ${why}` } } });
        }
        break;
      }
    } finally {
      this.emit({ type: 'file-end', file, errors: errors.slice(0, 50), consoleDropped });
    }
    return result;
  }

  /** One worker's life: resolves when it reports `done`, is killed by a limit, or crashes. */
  private attempt(
    worker: TestWorker,
    /** Keep the worker alive when it finishes (a Python interpreter serves the next file). */
    keepOnDone: boolean,
    start: WorkerStart,
    loadMs: number,
    on: {
      collected(tests: CollectedTest[]): void;
      test(result: Extract<WorkerEvent, { type: 'test' }>['result']): void;
      console(entry: Extract<WorkerEvent, { type: 'console' }>['entry']): void;
      consoleDropped(n: number): void;
    },
  ): Promise<Attempt> {
    return new Promise<Attempt>((resolve) => {
      let current: string | null = null;
      /** The running test's limit: its own (`it(name, fn, ms)`) or the run's. */
      let currentLimit = start.testTimeoutMs;
      let settled = false;
      let watchdog: ReturnType<typeof setTimeout> | undefined;
      /** When the watchdog bites, unless progress moves it; and when its timer is set to fire. */
      let due = 0;
      let timerAt = 0;
      const runTimer = setTimeout(() => finish({ kind: 'killed', testId: current, reason: 'run' }), Math.max(0, this.deadline - performance.now()));
      const bite = () => {
        watchdog = undefined;
        const left = due - performance.now();
        if (left > 0) return schedule(left);
        finish({ kind: 'killed', testId: current, reason: 'test', limitMs: current === null ? start.testTimeoutMs : currentLimit });
      };
      const schedule = (ms: number) => {
        clearTimeout(watchdog);
        timerAt = performance.now() + ms;
        watchdog = setTimeout(bite, ms);
      };
      /**
       * Re-arms the watchdog for `ms` from now. Progress comes hundreds of times a second, so a
       * later deadline only moves `due`; the timer is reset only when it would fire too late.
       */
      const arm = (ms: number) => {
        due = performance.now() + ms;
        if (watchdog === undefined || timerAt > due) schedule(ms);
      };
      const finish = (a: Attempt) => {
        if (settled) return;
        settled = true;
        clearTimeout(watchdog);
        clearTimeout(runTimer);
        worker.onmessage = null;
        worker.onerror = null;
        if (!(a.kind === 'done' && keepOnDone)) worker.terminate();
        this.stopCurrent = null;
        resolve(a);
      };
      this.stopCurrent = (reason) => finish({ kind: 'killed', testId: current, reason });
      const stepMs = start.testTimeoutMs + GRACE_MS;
      const handle = (e: WorkerEvent) => {
        switch (e.type) {
          case 'collected':
            on.collected(e.tests);
            arm(stepMs);
            return;
          case 'test-start':
            current = e.id;
            currentLimit = e.timeoutMs ?? start.testTimeoutMs;
            arm(currentLimit + GRACE_MS);
            return;
          case 'test':
            if (current === e.result.id) current = null;
            on.test(e.result);
            arm(stepMs);
            return;
          case 'console':
            on.console(e.entry);
            return;
          case 'done':
            on.consoleDropped(e.consoleDropped);
            finish({ kind: 'done', errors: e.errors, worker });
            return;
          default:
            unreachable(e);
        }
      };
      worker.onmessage = (ev) => {
        if (settled) return;
        // A test may post anything; only well-formed events count.
        if ((ev.data as { type?: unknown } | null)?.type === 'batch') {
          const batch = WorkerBatch.safeParse(ev.data);
          if (!batch.success) return;
          for (const e of batch.data.events) {
            if (settled) return;
            handle(e);
          }
          return;
        }
        const parsed = WorkerEvent.safeParse(ev.data);
        if (parsed.success) handle(parsed.data);
      };
      worker.onerror = (ev) => {
        // An error thrown outside any test (a timer callback, say). The worker lives on.
        ev.preventDefault();
        if (!settled) on.console({ level: 'error', text: `Uncaught ${ev.message || 'error'}`.slice(0, 4000), ...(current ? { testId: current } : {}) });
      };
      worker.onmessageerror = () => {};
      arm(loadMs);
      worker.postMessage(start);
    });
  }
}
