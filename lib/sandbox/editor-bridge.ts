'use client';
import type { TestsResultPayload } from '@/lib/protocol';
import { loadMonaco, uriOf } from '@/lib/editor/monaco-setup';
import { TEST_GLOBALS_DTS } from './test-globals';

/**
 * Test results in the editor, through Monaco's global API (every session file already has a
 * model, see ModelRegistry), so the editor component needs no test-specific code.
 */
const OWNER = 'flint-tests';

let typed = false;
/** Models that have test markers now: only they (and those that get some) are touched again. */
const marked = new Set<string>();

/** Gives the editor's TypeScript service the full test API (once per page). */
export async function registerTestGlobals(): Promise<void> {
  if (typed) return;
  typed = true;
  const monaco = await loadMonaco();
  monaco.typescript.typescriptDefaults.addExtraLib(TEST_GLOBALS_DTS, 'file:///flint-sandbox-test-globals.d.ts');
  monaco.typescript.javascriptDefaults.addExtraLib(TEST_GLOBALS_DTS, 'file:///flint-sandbox-test-globals.d.ts');
}

const packageLibs = new Set<string>();

/**
 * A package's declaration files (`node_modules/<name>/…` → text) for the editor's TypeScript
 * service, as `file:///node_modules/…`, so imports of it type-check and complete (Automatic Type
 * Acquisition, from the server). A path already given is not given again.
 */
export async function addPackageTypes(files: Record<string, string>): Promise<void> {
  const monaco = await loadMonaco();
  for (const [path, text] of Object.entries(files)) {
    if (packageLibs.has(path)) continue;
    packageLibs.add(path);
    monaco.typescript.typescriptDefaults.addExtraLib(text, `file:///${path}`);
    monaco.typescript.javascriptDefaults.addExtraLib(text, `file:///${path}`);
  }
}

/** Replaces the test markers of every model with the failures of `report`. */
export async function showFailureMarkers(report: TestsResultPayload): Promise<void> {
  const monaco = await loadMonaco();
  type Marker = Parameters<typeof monaco.editor.setModelMarkers>[2][number];
  const byPath = new Map<string, Marker[]>();
  const add = (path: string, line: number, column: number, message: string) => {
    const list = byPath.get(path) ?? [];
    list.push({ severity: monaco.MarkerSeverity.Error, message, startLineNumber: line, startColumn: column + 1, endLineNumber: line, endColumn: 1_000, source: 'tests' });
    byPath.set(path, list);
  };
  for (const file of report.files) {
    for (const t of file.tests) {
      const loc = t.error?.location;
      if (loc && (t.status === 'failed' || t.status === 'timedout')) add(loc.path, loc.line, loc.column, `${t.name.join(' › ')}: ${t.error!.message}`);
    }
    for (const e of file.errors) if (e.location) add(e.location.path, e.location.line, e.location.column, e.message);
  }
  // Setting markers (even none) makes Monaco redecorate and repaint; a passing run changes nothing.
  for (const model of monaco.editor.getModels()) {
    const key = model.uri.toString();
    const markers = byPath.get(model.uri.path.replace(/^\//, '')) ?? [];
    if (markers.length === 0 && !marked.has(key)) continue;
    monaco.editor.setModelMarkers(model, OWNER, markers);
    if (markers.length > 0) marked.add(key);
    else marked.delete(key);
  }
}

/**
 * Opens `path` (through the IDE store's `openFile`) and puts the cursor on the line, once the
 * editor shows that file.
 */
export async function revealLocation(openFile: (path: string) => void, path: string, line: number, column: number): Promise<boolean> {
  openFile(path);
  const monaco = await loadMonaco();
  const uri = uriOf(monaco, path).toString();
  for (let i = 0; i < 120; i++) {
    const ed = monaco.editor.getEditors().find((e) => e.getModel()?.uri.toString() === uri);
    if (ed) {
      const position = { lineNumber: line, column: column + 1 };
      ed.setPosition(position);
      ed.revealPositionInCenter(position);
      ed.focus();
      return true;
    }
    await new Promise((r) => requestAnimationFrame(r));
  }
  return false;
}
