'use client';
import { createContext, memo, useCallback, useContext, useEffect, useRef, useState } from 'react';
import { useStore } from 'zustand';
import type { TestCaseReport, TestFailure, TestFileReport } from '@/lib/protocol';
import { getSocket } from '@/lib/client/connection';
import { filesOf } from '@/lib/collab/workspace-doc';
import { countResults, failCount } from '@/lib/sandbox/aggregate';
import { addPackageTypes, registerTestGlobals, revealLocation, showFailureMarkers } from '@/lib/sandbox/editor-bridge';
import { buildFixPrompt } from '@/lib/sandbox/fix-prompt';
import { fullName } from '@/lib/sandbox/harness';
import { isTestFile } from '@/lib/sandbox/resolve';
import { SandboxClient } from '@/lib/sandbox/sandbox-client';
import { PackagesClient, type PackagesStoreApi } from '@/lib/sandbox/packages-client';
import { PackagesStatus } from './packages-status';
import { TestRunner, type RunScope } from '@/lib/sandbox/test-runner';
import { createTestStore, type TestState } from '@/lib/sandbox/test-store';
import { useIdeStore, useRuntime } from './session-provider';
import { useCommand } from './commands-context';
import styles from './test-panel.module.css';

/** This tab is running tests: the per-file and per-test run buttons are disabled meanwhile. */
const BusyContext = createContext(false);

/**
 * The test panel: run buttons, the shortcut, results of the session's latest run (this tab's or
 * a peer's), failures as editor markers, and "fix with AI". The sandbox iframe lives here,
 * created after mount.
 */
export function TestPanel({ sandboxOrigin = null }: { sandboxOrigin?: string | null }) {
  const runtime = useRuntime();
  const openPath = useIdeStore((s) => s.openPath);
  const openFile = useIdeStore((s) => s.openFile);
  const mode = useIdeStore((s) => s.mode);
  const streaming = useIdeStore((s) => s.stream.status === 'streaming' || s.stream.status === 'queued');
  const [store] = useState(createTestStore);
  const report = useStore(store, (s: TestState) => s.report);
  const origin = useStore(store, (s: TestState) => s.origin);
  const busy = useStore(store, (s: TestState) => s.busy);
  const problem = useStore(store, (s: TestState) => s.problem);
  const hostRef = useRef<HTMLDivElement>(null);
  const panelRef = useRef<HTMLElement>(null);
  const runnerRef = useRef<TestRunner | null>(null);
  /** False when the sandbox shares the IDE's site (no FLINT_SANDBOX_ORIGIN on a custom host). */
  const [ownProcess, setOwnProcess] = useState(true);
  const [packagesStore, setPackagesStore] = useState<PackagesStoreApi | null>(null);

  useEffect(() => {
    if (!hostRef.current) return;
    void registerTestGlobals();
    const sandbox = new SandboxClient(hostRef.current, sandboxOrigin);
    setOwnProcess(sandbox.placement.ownProcess);
    // Package bundles come from the sandbox's origin (served there with immutable headers).
    const packages = new PackagesClient(runtime.doc, getSocket(), sandbox.placement.origin, (files) => void addPackageTypes(files));
    setPackagesStore(packages.store);
    const runner = new TestRunner({
      doc: runtime.doc,
      socket: getSocket(),
      sandbox,
      store,
      packages,
      onReport: (r) => void showFailureMarkers(r),
    });
    runnerRef.current = runner;
    return () => {
      runner.dispose();
      packages.dispose();
      sandbox.dispose();
      runnerRef.current = null;
    };
  }, [runtime, store, sandboxOrigin]);

  const run = useCallback((scope: RunScope) => {
    // The panel keeps its height while results stream in (cleared, then growing row by row):
    // the editor above it would otherwise be laid out and repainted again on every frame.
    const panel = panelRef.current;
    if (panel && runnerRef.current) panel.style.minHeight = `${panel.offsetHeight}px`;
    void runnerRef.current?.run(scope);
  }, []);

  useEffect(() => {
    if (!busy && panelRef.current) panelRef.current.style.minHeight = '';
  }, [busy]);

  // Ctrl+; (⌘; on a Mac) from anywhere on the page, the editor included (lib/client/commands.ts).
  useCommand('tests.run', () => run({ kind: 'all' }));

  const reveal = useCallback((loc: NonNullable<TestFailure['location']>) => void revealLocation(openFile, loc.path, loc.line, loc.column), [openFile]);

  const fixWithAi = useCallback(() => {
    if (!report) return;
    const files = new Map([...filesOf(runtime.doc)].map(([p, t]) => [p, t.toString()] as [string, string]));
    const fix = buildFixPrompt(report, files);
    if (!fix) return;
    openFile(fix.path);
    void runtime.prompt(fix.prompt, { ...runtime.promptOptions(fix.prompt), path: fix.path, selection: runtime.selection(fix.path), mode });
  }, [report, runtime, mode, openFile]);

  const counts = countResults(report);
  const failed = failCount(counts);
  const status = busy ? 'running' : (report?.status ?? 'idle');
  const openIsTest = openPath !== null && isTestFile(openPath);
  // Said by screen readers when a run ends or cannot run (the counts above change silently).
  const announcement = busy ? 'Running the tests…' : problem ? `The tests could not run: ${problem}` : report ? `Tests ${report.status}: ${counts.passed} passed, ${failed} failed, ${counts.skipped} skipped.` : '';

  return (
    <section ref={panelRef} className={styles.panel} data-testid="test-results" data-status={status} aria-label="Tests">
      <div className={styles.head}>
        <button type="button" className="primary" data-testid="run-tests" onClick={() => run({ kind: 'all' })} title="Run all tests (Ctrl+;)">
          Run tests
        </button>
        <button type="button" data-testid="run-file" disabled={!openIsTest} onClick={() => openPath && run({ kind: 'file', path: openPath })} title="Run the tests of the open file">
          Run file
        </button>
        {busy && (
          <button type="button" data-testid="test-cancel" onClick={() => runnerRef.current?.cancel()}>
            Stop
          </button>
        )}
        <span className={styles.status} data-testid="test-run-status">
          {status}
          {origin === 'remote' ? ' · run by a collaborator' : ''}
          {report?.durationMs !== undefined && !busy ? ` · ${Math.round(report.durationMs)} ms` : ''}
        </span>
        {!ownProcess && (
          <span
            className={styles.status}
            data-testid="sandbox-shared-site"
            title="Tests run on this page's own site: whether a test that runs out of memory can take this page down depends on the browser. Set FLINT_SANDBOX_ORIGIN to another site (README → Configuration) to give them a process of their own."
          >
            · tests share this site
          </span>
        )}
      </div>
      {packagesStore && <PackagesStatus store={packagesStore} />}
      <div className={styles.counts}>
        <span>
          <b className={styles.pass} data-testid="test-pass-count">{counts.passed}</b> passed
        </span>
        <span>
          <b className={styles.fail} data-testid="test-fail-count">{failed}</b> failed
        </span>
        <span>
          <b data-testid="test-skip-count">{counts.skipped}</b> skipped
        </span>
        {failed > 0 && !busy && (
          <button type="button" className={styles.small} data-testid="fix-with-ai" disabled={streaming} onClick={fixWithAi}>
            Fix with AI
          </button>
        )}
      </div>
      {problem && (
        <p className={styles.problem} data-testid="test-problem" role="alert">
          {problem}
        </p>
      )}
      <BusyContext.Provider value={busy}>
        {report?.files.map((file) => (
          <FileResults key={file.path} file={file} onReveal={reveal} onRun={run} />
        ))}
      </BusyContext.Provider>
      {report && report.files.length === 0 && !busy && <p className={styles.status}>No test files (name them *.test.ts or test_*.py).</p>}
      <div className="sr-only" data-testid="test-announce" role="status" aria-live="polite" aria-atomic="true">
        {announcement}
      </div>
      <div ref={hostRef} className={styles.sandboxHost} />
    </section>
  );
}

/** A button disabled while this tab runs tests (only these re-render when a run starts or ends). */
function RunButton({ testId, title, label, onClick, children }: { testId: string; title?: string; label?: string; onClick: () => void; children: React.ReactNode }) {
  const busy = useContext(BusyContext);
  return (
    <button type="button" className={styles.small} data-testid={testId} disabled={busy} title={title} aria-label={label} onClick={onClick}>
      {children}
    </button>
  );
}

/**
 * One file's results. Memoized, as are its rows: the store's copies of a running report keep
 * unchanged files and tests as the same objects (createSnapshotter), so a frame renders only
 * what arrived in it.
 */
const FileResults = memo(function FileResults({ file, onReveal, onRun }: { file: TestFileReport; onReveal: (l: NonNullable<TestFailure['location']>) => void; onRun: (s: RunScope) => void }) {
  return (
    <div className={styles.file} data-testid="test-file" data-path={file.path}>
      <div className={styles.fileHead}>
        <span>{file.path}</span>
        <RunButton testId="test-file-run" label={`Run ${file.path}`} onClick={() => onRun({ kind: 'file', path: file.path })}>
          Run
        </RunButton>
      </div>
      {file.errors.map((e, i) => (
        <div key={i} className={styles.case} data-testid="test-file-error">
          <Failure error={e} onReveal={onReveal} />
        </div>
      ))}
      <ul className={styles.cases}>
        {file.tests.map((t) => (
          <Case key={t.id} test={t} path={file.path} onReveal={onReveal} onRun={onRun} />
        ))}
      </ul>
      {(file.console.length > 0 || file.consoleDropped > 0) && (
        <pre className={styles.console} data-testid="test-console" data-dropped={file.consoleDropped} tabIndex={0} role="region" aria-label={`Console output of ${file.path}`}>
          {file.console.map((c, i) => (
            <div key={i} data-testid="test-console-line" className={c.level === 'error' ? styles.consoleError : c.level === 'warn' ? styles.consoleWarn : undefined}>
              {c.text}
            </div>
          ))}
          {file.consoleDropped > 0 && <div data-testid="test-console-dropped">… {file.consoleDropped} more console calls not shown (output limit reached)</div>}
        </pre>
      )}
    </div>
  );
});

const Case = memo(function Case({ test, path, onReveal, onRun }: { test: TestCaseReport; path: string; onReveal: (l: NonNullable<TestFailure['location']>) => void; onRun: (s: RunScope) => void }) {
  const name = fullName(test.name);
  return (
    <li className={styles.case} data-testid="test-case" data-status={test.status} data-name={name} data-file={path}>
      <div className={styles.caseHead}>
        <span className={styles[test.status]}>{test.status}</span>
        <span className={styles.caseName} title={name}>
          {test.name.join(' › ')}
        </span>
        <span className={styles.duration} data-testid="test-duration">
          {test.durationMs < 1 ? '<1' : Math.round(test.durationMs)} ms
        </span>
        <RunButton testId="test-run-one" title="Run only this test" label={`Run only ${name}`} onClick={() => onRun({ kind: 'test', path, name })}>
          ▶
        </RunButton>
      </div>
      {test.error && <Failure error={test.error} onReveal={onReveal} />}
    </li>
  );
});

function Failure({ error, onReveal }: { error: TestFailure; onReveal: (l: NonNullable<TestFailure['location']>) => void }) {
  const loc = error.location;
  return (
    <div>
      <div className={styles.message} data-testid="test-message">
        {error.message}
      </div>
      {error.diff ? (
        <pre className={styles.diff} data-testid="test-diff" tabIndex={0} role="region" aria-label="Expected and received">
          {error.diff}
        </pre>
      ) : error.expected !== undefined ? (
        <pre className={styles.diff} data-testid="test-diff" tabIndex={0} role="region" aria-label="Expected and received">
          {`Expected: ${error.expected}\nReceived: ${error.actual ?? ''}`}
        </pre>
      ) : null}
      {loc && (
        <button type="button" className={styles.location} data-testid="test-location" data-path={loc.path} data-line={loc.line} onClick={() => onReveal(loc)}>
          {loc.path}:{loc.line}:{loc.column + 1}
        </button>
      )}
    </div>
  );
}
