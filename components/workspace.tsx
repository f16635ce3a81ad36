'use client';
import { useState } from 'react';
import Link from 'next/link';
import { selectTierState } from '@/lib/stores/ide-store';
import { SessionProvider, useIdeStore } from './session-provider';
import { FileTree } from './file-tree';
import { CodeEditor } from './code-editor';
import { PromptPanel } from './prompt-panel';
import { ReviewPanel } from './review-panel';
import { AiThread } from './ai-thread';
import { TierNotice } from './tier-notice';
import { TestPanel } from './test-panel';
import { PresenceBar } from './presence-bar';
import { ShareMenu } from './share-menu';
import { ChangesPanel } from './changes-panel';
import { BinaryView } from './binary-view';
import { AgentList } from './agent-list';
import { CommandProvider } from './command-provider';
import { useCommand, useCommandBus } from './commands-context';
import { ThemeToggle } from './theme-toggle';
import { WorkspacePanels } from './workspace-panels';
import { PreviewPanel } from './preview-panel';

/** `sandboxOrigin`: FLINT_SANDBOX_ORIGIN when configured (lib/sandbox/origin.ts picks otherwise). */
export function Workspace({ sessionId, token, sandboxOrigin = null }: { sessionId: string; token?: string; sandboxOrigin?: string | null }) {
  return (
    <SessionProvider sessionId={sessionId} token={token}>
      <CommandProvider>
        <WorkspaceLayout sessionId={sessionId} token={token} sandboxOrigin={sandboxOrigin} />
      </CommandProvider>
    </SessionProvider>
  );
}

function WorkspaceLayout({ sessionId, token, sandboxOrigin }: { sessionId: string; token?: string; sandboxOrigin: string | null }) {
  const role = useIdeStore((s) => s.role);
  const follow = useIdeStore((s) => s.follow);
  const following = useIdeStore((s) => s.following);
  const stopFollowing = () => following !== null && follow(null);
  const fatal = useIdeStore((s) => s.fatal);
  const connection = useIdeStore((s) => s.connection);
  const unsaved = useIdeStore((s) => s.unsaved);
  const tier = useIdeStore((s) => s.tiers?.[s.mode] ?? null);
  const mode = useIdeStore((s) => s.mode);
  const tierState = useIdeStore(selectTierState);
  const openBinary = useIdeStore((s) => s.openBinary);
  const [preview, setPreview] = useState(false);
  useCommand('preview.toggle', () => setPreview((p) => !p));
  if (fatal) {
    return (
      <main className="fatal">
        <h1>{fatal.code === 'linkInvalid' || fatal.code === 'linkRequired' ? 'This link doesn’t open the session' : 'Flint can’t open this session'}</h1>
        <p className="error-banner" data-testid="error-banner" role="alert" data-code={fatal.code}>
          {fatal.message}
        </p>
        <p>
          <Link href="/">Start a new session</Link>
          {(fatal.code === 'clientTooOld' || fatal.code === 'serverTooOld' || fatal.code === 'limitExceeded') && (
            <>
              {' · '}
              <a href={token ? `/s/${sessionId}?t=${encodeURIComponent(token)}` : `/s/${sessionId}`}>Reload</a>
            </>
          )}
        </p>
      </main>
    );
  }
  return (
    <main className={`workspace${role === 'viewer' ? ' read-only' : ''}`} data-role={role ?? undefined}>
      <header className="topbar">
        <Link href="/" className="brand">
          <span className="logo">◆</span> Flint
        </Link>
        <span className="session-id" title="Session id">{sessionId}</span>
        <span className={`conn conn-${connection}`} data-testid="connection-status">
          {connection}
        </span>
        {role === 'viewer' && (
          <span className="view-only" data-testid="view-only" title="You joined with a view link: you can watch, not edit">
            view only
          </span>
        )}
        <PresenceBar />
        {role === 'owner' && <ShareMenu sessionId={sessionId} />}
        <button type="button" className="preview-toggle" data-testid="preview-toggle" aria-pressed={preview} onClick={() => setPreview((p) => !p)}>
          Preview
        </button>
        <span className="provider" data-testid="provider-status" data-state={tierState}>
          {mode}: {tier ? `${tier.provider} · ${tier.model}` : '…'} · {tierState}
        </span>
        <HelpButtons />
        <ThemeToggle />
      </header>
      <WorkspacePanels
        files={
          <div className="sidebar" onMouseDownCapture={() => stopFollowing()}>
            <FileTree />
            <ChangesPanel sessionId={sessionId} token={token} />
          </div>
        }
        editor={
          <section className="editor-pane" aria-label="Editor">
            {unsaved && (
              <p className="error-banner unsaved-banner" data-testid="unsaved-banner" role="alert" data-code={unsaved.code}>
                <strong>Not saved:</strong> {unsaved.message} Your text stays in this tab; it is saved as soon as the session fits again.
              </p>
            )}
            {openBinary && <BinaryView />}
            <div className="editor-slot" style={openBinary ? { display: 'none' } : undefined}>
              <CodeEditor />
            </div>
          </section>
        }
        preview={preview ? <PreviewPanel sandboxOrigin={sandboxOrigin} /> : null}
        tests={<TestPanel sandboxOrigin={sandboxOrigin} />}
        ai={
          <section className="ai-pane" aria-label="AI">
            <TierNotice />
            <AiThread />
            <ReviewPanel />
            <AgentList sandboxOrigin={sandboxOrigin} />
            <PromptPanel />
          </section>
        }
      />
    </main>
  );
}

/** The palette and the shortcuts, for whoever looks for them with a pointer. */
function HelpButtons() {
  const bus = useCommandBus();
  return (
    <>
      <button type="button" className="icon-button" data-testid="open-command-palette" aria-label="Command palette" title="Command palette (Ctrl/⌘+K)" onClick={() => bus.run('palette.open')}>
        ⌘K
      </button>
      <button type="button" className="icon-button" data-testid="open-shortcuts" aria-label="Keyboard shortcuts" title="Keyboard shortcuts (?)" onClick={() => bus.run('shortcuts.open')}>
        ?
      </button>
    </>
  );
}
