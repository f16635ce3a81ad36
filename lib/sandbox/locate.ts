import { TraceMap, originalPositionFor } from '@jridgewell/trace-mapping';
import { BUNDLE_URL } from './protocol';

/**
 * Points a failure at the person's line. The worker rewrites the URL of the test bundle in
 * stacks to `BUNDLE_URL` (protocol.ts); frames there are mapped back through the bundle's source map. Python
 * tracebacks already name the session's files.
 */

export interface SourceLocation {
  path: string;
  line: number;
  column: number;
}

const FRAME = new RegExp(`${BUNDLE_URL}:(\\d+):(\\d+)`, 'g');

function normalizeSource(source: string): string {
  return source.replace(/^(\.\.\/)*/, '').replace(/^flint:/, '');
}

/** Parses its source map only when a stack needs mapping (a failure): a passing run never does. */
export class StackMapper {
  private parsed: TraceMap | null = null;

  constructor(private readonly sourceMap: string) {}

  private get map(): TraceMap {
    return (this.parsed ??= new TraceMap(this.sourceMap));
  }

  position(line: number, column: number): SourceLocation | null {
    const p = originalPositionFor(this.map, { line, column: Math.max(0, column - 1) });
    if (p.source === null || p.line === null) return null;
    return { path: normalizeSource(p.source), line: p.line, column: p.column ?? 0 };
  }

  /** The stack with bundle positions replaced by `path:line:column`, and runtime frames dropped. */
  rewrite(stack: string): string {
    return stack
      .split('\n')
      .filter((l) => !/^\s+at /.test(l) || l.includes(BUNDLE_URL))
      .map((l) =>
        l.replace(FRAME, (whole, line: string, col: string) => {
          const p = this.position(Number(line), Number(col));
          return p ? `${p.path}:${p.line}:${p.column + 1}` : whole;
        }),
      )
      .join('\n');
  }

  /**
   * The innermost frame in the session's own files: the `expect` line for a failed assertion
   * (expect's own frames are in the runtime, not the bundle), the throwing line otherwise.
   */
  locate(stack: string | undefined): SourceLocation | null {
    if (!stack) return null;
    const found: SourceLocation[] = [];
    for (const m of stack.matchAll(FRAME)) {
      const p = this.position(Number(m[1]), Number(m[2]));
      if (p) found.push(p);
    }
    return found[0] ?? null;
  }
}

/** The innermost frame of a session file in a Python traceback (`File "/flint/src/x.py", line 3`). */
export function locatePython(traceback: string | undefined, root: string): SourceLocation | null {
  if (!traceback) return null;
  let last: SourceLocation | null = null;
  const re = /File "([^"]+)", line (\d+)/g;
  for (const m of traceback.matchAll(re)) {
    if (m[1].startsWith(root + '/')) last = { path: m[1].slice(root.length + 1), line: Number(m[2]), column: 0 };
  }
  return last;
}
