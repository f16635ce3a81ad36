import { createStore } from 'zustand/vanilla';
import type { TestsResultPayload } from '@/lib/protocol';
import { countResults, failCount, type Counts } from './aggregate';

/**
 * The test panel's state, one store per session page (like the IDE store, never module-global).
 * `report` is the latest run, this tab's or a peer's: everyone in the session sees the same one.
 */
export interface TestState {
  report: TestsResultPayload | null;
  /** Who started the shown run. */
  origin: 'local' | 'remote' | null;
  /** This tab is bundling or running tests. */
  busy: boolean;
  /** A problem before any test ran (the sandbox did not start, Pyodide did not load, …). */
  problem: string | null;
  setReport(report: TestsResultPayload | null, origin: 'local' | 'remote'): void;
  setBusy(busy: boolean): void;
  setProblem(problem: string | null): void;
}

export function createTestStore() {
  return createStore<TestState>()((set) => ({
    report: null,
    origin: null,
    busy: false,
    problem: null,
    setReport: (report, origin) => set({ report, origin }),
    setBusy: (busy) => set({ busy }),
    setProblem: (problem) => set({ problem }),
  }));
}
export type TestStoreApi = ReturnType<typeof createTestStore>;

export const selectCounts = (s: TestState): Counts => countResults(s.report);
export const selectFailCount = (s: TestState): number => failCount(countResults(s.report));
