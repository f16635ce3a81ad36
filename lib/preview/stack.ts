import { TraceMap, originalPositionFor } from '@jridgewell/trace-mapping';
import { MODULE_URL, WRAPPER_LINES } from './protocol';
import type { Location } from './build';

/**
 * Maps a preview stack (frames name `flint-module:<path>:<line>:<column>`, the module's wrapped
 * code) to the session's source lines through each module's source map. Frames of packages or
 * the runtime are dropped. Maps are parsed on the first error that needs them.
 */
export class PreviewStackMapper {
  private readonly parsed = new Map<string, TraceMap>();

  constructor(private readonly maps: ReadonlyMap<string, string>) {}

  position(path: string, line: number, column: number): Location | null {
    const text = this.maps.get(path);
    if (text === undefined) return null;
    if (text === '') return { path, line, column };
    let map = this.parsed.get(path);
    if (!map) {
      map = new TraceMap(text);
      this.parsed.set(path, map);
    }
    const p = originalPositionFor(map, { line: line - WRAPPER_LINES, column: Math.max(0, column - 1) });
    if (p.line === null) return null;
    return { path, line: p.line, column: p.column ?? 0 };
  }

  /** The stack's frames in session files, outermost last. */
  frames(stack: string): Array<Location & { fn: string }> {
    const out: Array<Location & { fn: string }> = [];
    const escaped = MODULE_URL.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const re = new RegExp(`^\\s*at (?:(.*?) \\()?${escaped}(.+?):(\\d+):(\\d+)\\)?\\s*$`, 'gm');
    for (const m of stack.matchAll(re)) {
      const loc = this.position(m[2], Number(m[3]), Number(m[4]));
      if (loc) out.push({ ...loc, fn: m[1] ?? '' });
    }
    return out;
  }
}
