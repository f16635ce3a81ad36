/**
 * Every action a person can take from the keyboard, with its shortcut: the one list the command
 * palette (components/command-palette.tsx), the shortcuts dialog (components/shortcuts-dialog.tsx)
 * and the page's key handling (components/command-provider.tsx) all read, so they cannot drift.
 *
 * A shortcut is written `Mod+Shift+P`: `Mod` is ⌘ on a Mac and Ctrl elsewhere; the last part is a
 * `KeyboardEvent.key` (one character or a name such as `Enter`) — or, for letters, digits and
 * brackets, the physical key (`KeyboardEvent.code`), so Alt/Option combinations match on every layout.
 *
 * `scope`:
 * - `global`: matched on the page in the capture phase, before Monaco or any text box sees the
 *   key, so it works with focus in the editor too.
 * - `outside-text`: global, but not while typing in a text field (`?` types a question mark there).
 * - `hunk`: on a focused hunk of the review (components/review-panel.tsx).
 * - `prompt`: in the prompt box, or in the editor (components/prompt-panel.tsx, code-editor.tsx).
 */
export type CommandScope = 'global' | 'outside-text' | 'hunk' | 'prompt';

export interface CommandSpec {
  id: CommandId;
  title: string;
  group: 'Model' | 'Review' | 'Tests' | 'Session' | 'View' | 'Help';
  /** Shortcuts, first one shown first; none: palette only. */
  keys: readonly string[];
  scope: CommandScope;
  /** Shortcuts left to Monaco while focus is in the editor (its `Ctrl/⌘+K` chords). */
  notInEditor?: readonly string[];
}

export const COMMANDS = [
  { id: 'prompt.focus', title: 'Ask the model (focus the prompt box)', group: 'Model', keys: ['Alt+P'], scope: 'global' },
  { id: 'prompt.send', title: 'Send the prompt', group: 'Model', keys: ['Enter'], scope: 'prompt' },
  { id: 'prompt.sendNow', title: 'Redirect: stop this turn and send the prompt now', group: 'Model', keys: ['Mod+Enter'], scope: 'prompt' },
  { id: 'stream.interrupt', title: 'Interrupt the model', group: 'Model', keys: ['Escape'], scope: 'prompt' },
  { id: 'hunk.next', title: 'Next open hunk', group: 'Review', keys: ['Alt+]'], scope: 'global' },
  { id: 'hunk.previous', title: 'Previous open hunk', group: 'Review', keys: ['Alt+['], scope: 'global' },
  { id: 'hunk.accept', title: 'Accept the selected hunk', group: 'Review', keys: ['Mod+Enter'], scope: 'hunk' },
  { id: 'hunk.reject', title: 'Reject the selected hunk', group: 'Review', keys: ['Mod+Backspace'], scope: 'hunk' },
  { id: 'hunk.acceptAll', title: 'Accept all hunks', group: 'Review', keys: [], scope: 'global' },
  { id: 'hunk.rejectAll', title: 'Reject all hunks', group: 'Review', keys: [], scope: 'global' },
  { id: 'checkpoint.restore', title: 'Restore the last checkpoint…', group: 'Review', keys: [], scope: 'global' },
  { id: 'tests.run', title: 'Run the tests', group: 'Tests', keys: ['Mod+;'], scope: 'global' },
  { id: 'share.open', title: 'Open the share menu', group: 'Session', keys: ['Alt+S'], scope: 'global' },
  { id: 'theme.toggle', title: 'Switch between light and dark theme', group: 'View', keys: ['Alt+Shift+T'], scope: 'global' },
  { id: 'panel.files', title: 'Show or hide the file list', group: 'View', keys: ['Mod+B'], scope: 'global' },
  { id: 'panel.tests', title: 'Show or hide the test panel', group: 'View', keys: ['Mod+J'], scope: 'global' },
  { id: 'panel.ai', title: 'Show or hide the AI column', group: 'View', keys: ['Mod+Alt+B'], scope: 'global' },
  { id: 'preview.toggle', title: 'Show or hide the live preview', group: 'View', keys: ['Alt+Shift+V'], scope: 'global' },
  { id: 'palette.open', title: 'Command palette', group: 'Help', keys: ['Mod+K', 'Mod+Shift+P'], scope: 'global', notInEditor: ['Mod+K'] },
  { id: 'shortcuts.open', title: 'Keyboard shortcuts', group: 'Help', keys: ['?'], scope: 'outside-text' },
] as const satisfies readonly (Omit<CommandSpec, 'id'> & { id: string })[];

export type CommandId = (typeof COMMANDS)[number]['id'];

export function commandById(id: CommandId): CommandSpec {
  return COMMANDS.find((c) => c.id === id)!;
}

/** The parts of a KeyboardEvent a shortcut is matched against. */
export interface KeyLike {
  key: string;
  code: string;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
  shiftKey: boolean;
}

const CODE_OF: Record<string, string> = { '[': 'BracketLeft', ']': 'BracketRight', ';': 'Semicolon' };

/** Whether `e` is the shortcut `keys` (e.g. `Mod+Shift+P`); `mac` picks what `Mod` means. */
export function matchesShortcut(e: KeyLike, keys: string, mac: boolean): boolean {
  const parts = keys.split('+');
  const key = parts.pop()!;
  const mods = new Set(parts);
  const wantCtrl = mods.has('Ctrl') || (mods.has('Mod') && !mac);
  const wantMeta = mods.has('Meta') || (mods.has('Mod') && mac);
  if (e.ctrlKey !== wantCtrl || e.metaKey !== wantMeta || e.altKey !== mods.has('Alt')) return false;
  // `?` is Shift+/ on most layouts: a printable key's own shift state is not asked for.
  const printable = key.length === 1 && !/[a-z0-9]/i.test(key);
  if (!printable && e.shiftKey !== mods.has('Shift')) return false;
  if (/^[a-z]$/i.test(key)) return e.code === `Key${key.toUpperCase()}` || e.key.toLowerCase() === key.toLowerCase();
  if (/^[0-9]$/.test(key)) return e.code === `Digit${key}` || e.key === key;
  if (CODE_OF[key] && e.code === CODE_OF[key]) return true;
  return e.key === key;
}

/** The command of `scope` whose shortcut `e` is, if any; `inEditor`: focus is in Monaco. */
export function commandForKey(e: KeyLike, scopes: readonly CommandScope[], mac: boolean, inEditor = false): CommandId | null {
  for (const c of COMMANDS as readonly CommandSpec[]) {
    if (!scopes.includes(c.scope)) continue;
    if (c.keys.some((k) => !(inEditor && c.notInEditor?.includes(k)) && matchesShortcut(e, k, mac))) return c.id;
  }
  return null;
}

/** A shortcut as shown to people: `Ctrl+Shift+P`, or `⌘⇧P` on a Mac. */
export function formatShortcut(keys: string, mac: boolean): string {
  const names: Record<string, string> = mac
    ? { Mod: '⌘', Ctrl: '⌃', Alt: '⌥', Shift: '⇧', Meta: '⌘', Enter: '↩', Backspace: '⌫', Escape: 'Esc' }
    : { Mod: 'Ctrl', Meta: 'Meta', Escape: 'Esc' };
  const parts = keys.split('+').map((p) => names[p] ?? p);
  return mac ? parts.join('') : parts.join('+');
}

export function isMacPlatform(): boolean {
  return typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform);
}

/**
 * Who runs a command: components register a handler for the commands they own while mounted
 * (`on`); the palette and the key handling call `run`. A command with no handler (e.g. the share
 * menu for someone who is not the owner) is listed but not offered.
 */
export class CommandBus {
  private readonly handlers = new Map<CommandId, () => void>();
  private readonly listeners = new Set<() => void>();

  on(id: CommandId, run: () => void): () => void {
    this.handlers.set(id, run);
    this.emit();
    return () => {
      if (this.handlers.get(id) === run) {
        this.handlers.delete(id);
        this.emit();
      }
    };
  }

  available(id: CommandId): boolean {
    return this.handlers.has(id);
  }

  /** Runs the command; false when nothing handles it here. */
  run(id: CommandId): boolean {
    const fn = this.handlers.get(id);
    if (!fn) return false;
    fn();
    return true;
  }

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => void this.listeners.delete(fn);
  }

  private emit(): void {
    for (const fn of this.listeners) fn();
  }
}
