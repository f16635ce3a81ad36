'use client';
import { useState } from 'react';
import { Group, Panel, Separator, useDefaultLayout, usePanelRef, type PanelImperativeHandle } from 'react-resizable-panels';
import type { RefObject } from 'react';
import { useCommand } from './commands-context';

/** localStorage keys of the saved layouts (react-resizable-panels' `useDefaultLayout`). */
const MAIN = 'flint-layout-main';
const CENTER = 'flint-layout-center';

function toggle(ref: RefObject<PanelImperativeHandle | null>) {
  const p = ref.current;
  if (!p) return;
  if (p.isCollapsed()) p.expand();
  else p.collapse();
}

/**
 * The workspace's panels: files | editor over tests | AI column, each edge a separator that
 * resizes with the pointer or the arrow keys (Enter collapses and expands the panel beside it),
 * each side panel collapsible (also from the command palette), the layout kept per browser.
 *
 * The default sizes are the ones Flint had before (240 px files, 360 px AI column, the tests
 * panel about as tall as its header, so the editor keeps its height), and the minimums keep
 * every panel usable.
 * A collapsed panel stays mounted (the test sandbox keeps running) but is `inert`.
 */
export function WorkspacePanels({ files, editor, tests, ai }: { files: React.ReactNode; editor: React.ReactNode; tests: React.ReactNode; ai: React.ReactNode }) {
  const main = useDefaultLayout({ id: MAIN, storage: typeof window === 'undefined' ? undefined : localStorage });
  const center = useDefaultLayout({ id: CENTER, storage: typeof window === 'undefined' ? undefined : localStorage });
  const filesRef = usePanelRef();
  const testsRef = usePanelRef();
  const aiRef = usePanelRef();
  const [collapsed, setCollapsed] = useState<Record<string, boolean>>({});
  const track = (id: string) => (size: { inPixels: number }) => setCollapsed((c) => (c[id] === (size.inPixels < 1) ? c : { ...c, [id]: size.inPixels < 1 }));

  useCommand('panel.files', () => toggle(filesRef));
  useCommand('panel.tests', () => toggle(testsRef));
  useCommand('panel.ai', () => toggle(aiRef));

  return (
    <Group id={MAIN} data-testid="layout-main" className="layout-main" orientation="horizontal" defaultLayout={main.defaultLayout} onLayoutChanged={main.onLayoutChanged}>
      <Panel id="files" data-testid="panel-files" data-collapsed={collapsed.files ? 'true' : 'false'} panelRef={filesRef} defaultSize={240} minSize={160} collapsible onResize={track('files')}>
        <div className="panel-body" inert={collapsed.files}>
          {files}
        </div>
      </Panel>
      <Separator id="resize-files" data-testid="resize-files" className="resize-handle" aria-label="Resize the file list" />
      <Panel id="center" minSize="30%">
        <Group id={CENTER} orientation="vertical" defaultLayout={center.defaultLayout} onLayoutChanged={center.onLayoutChanged}>
          <Panel id="editor" data-testid="panel-editor" minSize="25%">
            {editor}
          </Panel>
          <Separator id="resize-tests" data-testid="resize-tests" className="resize-handle" aria-label="Resize the test panel" />
          <Panel id="tests" data-testid="panel-tests" data-collapsed={collapsed.tests ? 'true' : 'false'} panelRef={testsRef} defaultSize={110} minSize={96} collapsible onResize={track('tests')}>
            <div className="panel-body" inert={collapsed.tests}>
              {tests}
            </div>
          </Panel>
        </Group>
      </Panel>
      <Separator id="resize-ai" data-testid="resize-ai" className="resize-handle" aria-label="Resize the AI column" />
      <Panel id="ai" data-testid="panel-ai" data-collapsed={collapsed.ai ? 'true' : 'false'} panelRef={aiRef} defaultSize={360} minSize={280} collapsible onResize={track('ai')}>
        <div className="panel-body" inert={collapsed.ai}>
          {ai}
        </div>
      </Panel>
    </Group>
  );
}
