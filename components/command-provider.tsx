'use client';
import { useEffect, useState } from 'react';
import { CommandBus, commandForKey, isMacPlatform, type CommandId } from '@/lib/client/commands';
import { toggleTheme } from '@/lib/client/theme';
import { CommandPalette } from './command-palette';
import { ShortcutsDialog } from './shortcuts-dialog';
import { BusContext } from './commands-context';

/** A text field, where a bare printable key (`?`) is typing, not a command. Monaco's input is a textarea. */
function isTextField(el: EventTarget | null): boolean {
  if (!(el instanceof HTMLElement)) return false;
  if (el.isContentEditable) return true;
  if (el instanceof HTMLTextAreaElement || el instanceof HTMLSelectElement) return true;
  return el instanceof HTMLInputElement && !['button', 'checkbox', 'radio', 'submit', 'reset', 'file', 'color', 'range'].includes(el.type);
}

/**
 * The workspace's commands (lib/client/commands.ts): the bus components register their handlers
 * on, the page's key handling, the command palette and the shortcuts dialog.
 *
 * Keys are read on `window` in the capture phase, before Monaco or a text box handles them, so
 * the shortcuts work with focus in the editor. While a modal dialog is open only the palette
 * and shortcuts keys are taken (to close it), so its own keys (arrows, Enter) stay its own.
 */
export function CommandProvider({ children }: { children: React.ReactNode }) {
  const [bus] = useState(() => new CommandBus());
  const [palette, setPalette] = useState(false);
  const [shortcuts, setShortcuts] = useState(false);

  useEffect(() => {
    const offs = [
      bus.on('palette.open', () => {
        setShortcuts(false);
        setPalette((v) => !v);
      }),
      bus.on('shortcuts.open', () => {
        setPalette(false);
        setShortcuts((v) => !v);
      }),
      bus.on('theme.toggle', () => void toggleTheme()),
    ];
    return () => offs.forEach((off) => off());
  }, [bus]);

  useEffect(() => {
    const mac = isMacPlatform();
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.isComposing) return;
      const target = e.target instanceof HTMLElement ? e.target : null;
      const inEditor = !!target?.closest('.monaco-editor');
      const id = commandForKey(e, isTextField(target) ? ['global'] : ['global', 'outside-text'], mac, inEditor);
      if (!id || !bus.available(id)) return;
      const modal = document.querySelector('dialog[open]');
      if (modal && id !== 'palette.open' && id !== 'shortcuts.open') return;
      e.preventDefault();
      e.stopPropagation();
      bus.run(id);
    };
    window.addEventListener('keydown', onKey, true);
    return () => window.removeEventListener('keydown', onKey, true);
  }, [bus]);

  return (
    <BusContext.Provider value={bus}>
      {children}
      <CommandPalette open={palette} onClose={() => setPalette(false)} />
      <ShortcutsDialog open={shortcuts} onClose={() => setShortcuts(false)} />
    </BusContext.Provider>
  );
}
