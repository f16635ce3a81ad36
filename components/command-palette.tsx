'use client';
import { useSyncExternalStore } from 'react';
import { Command } from 'cmdk';
import { COMMANDS, formatShortcut, isMacPlatform, type CommandId, type CommandSpec } from '@/lib/client/commands';
import { useCommandBus } from './commands-context';
import { Modal } from './modal';

/**
 * Ctrl/⌘+K or Ctrl/⌘+Shift+P: every command of the registry (lib/client/commands.ts), filtered
 * as you type (cmdk), with its shortcut. A command nothing here can run now (the share menu for
 * someone who is not the owner) is listed, disabled.
 */
export function CommandPalette({ open, onClose }: { open: boolean; onClose: () => void }) {
  const bus = useCommandBus();
  // Re-render when handlers come and go (e.g. the review panel appears).
  useSyncExternalStore(
    (fn) => bus.subscribe(fn),
    () => COMMANDS.map((c) => (bus.available(c.id) ? '1' : '0')).join(''),
    () => '',
  );
  const mac = isMacPlatform();

  function run(id: CommandId) {
    onClose();
    // After the dialog has closed and given focus back, so the command can move it (e.g. into the prompt box).
    setTimeout(() => bus.run(id), 0);
  }

  return (
    <Modal open={open} onClose={onClose} label="Command palette" testId="command-palette" className="palette">
      <Command label="Command palette" loop>
        <Command.Input data-testid="command-input" placeholder="Type a command…" aria-label="Command" data-autofocus />
        <Command.List aria-label="Commands">
          <Command.Empty>No command matches.</Command.Empty>
          {(COMMANDS as readonly CommandSpec[]).map((c) => (
            <Command.Item
              key={c.id}
              value={c.id}
              keywords={[c.title, c.group]}
              disabled={!bus.available(c.id)}
              data-testid="command-item"
              data-command={c.id}
              onSelect={() => run(c.id)}
            >
              <span className="palette-title">{c.title}</span>
              <span className="palette-group">{c.group}</span>
              {c.keys[0] !== undefined && <kbd>{formatShortcut(c.keys[0], mac)}</kbd>}
            </Command.Item>
          ))}
        </Command.List>
      </Command>
    </Modal>
  );
}
