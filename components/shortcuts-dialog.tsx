'use client';
import { COMMANDS, formatShortcut, isMacPlatform, type CommandSpec } from '@/lib/client/commands';
import { Modal } from './modal';

const SCOPE_NOTE: Record<CommandSpec['scope'], string> = {
  global: '',
  'outside-text': 'outside a text field',
  hunk: 'on the selected hunk',
  prompt: 'in the prompt box or the editor',
};

/** `?` (outside a text field): every command of the registry and its keys, by group. */
export function ShortcutsDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const mac = isMacPlatform();
  const groups = [...new Set(COMMANDS.map((c) => c.group))];
  return (
    <Modal open={open} onClose={onClose} label="Keyboard shortcuts" testId="shortcuts-dialog" className="shortcuts">
      <header className="dialog-head">
        <h2>Keyboard shortcuts</h2>
        <span className="spacer" />
        <button type="button" data-testid="shortcuts-close" onClick={onClose} data-autofocus>
          Close
        </button>
      </header>
      <div className="shortcuts-body" tabIndex={0} role="region" aria-label="Shortcut list">
        {groups.map((g) => (
          <table key={g}>
            <caption>{g}</caption>
            <tbody>
              {(COMMANDS as readonly CommandSpec[])
                .filter((c) => c.group === g)
                .map((c) => (
                  <tr key={c.id} data-testid="shortcut" data-command={c.id}>
                    <th scope="row">{c.title}</th>
                    <td>
                      {c.keys.length === 0 ? (
                        <span className="muted">command palette</span>
                      ) : (
                        c.keys.map((k, i) => (
                          <span key={k}>
                            {i > 0 && ' or '}
                            <kbd>{formatShortcut(k, mac)}</kbd>
                            {c.notInEditor?.includes(k) && <span className="muted"> (not in the editor)</span>}
                          </span>
                        ))
                      )}
                      {SCOPE_NOTE[c.scope] && <span className="muted"> {SCOPE_NOTE[c.scope]}</span>}
                    </td>
                  </tr>
                ))}
            </tbody>
          </table>
        ))}
      </div>
    </Modal>
  );
}
