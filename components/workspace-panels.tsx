'use client';
import { useRef, useState } from 'react';
import { Group, Panel, Separator, useDefaultLayout, usePanelRef, type PanelImperativeHandle } from 'react-resizable-panels';
import type { RefObject } from 'react';
import { useCommand } from './commands-context';

/** localStorage keys of the saved layouts (react-resizable-panels' `useDefaultLayout`). */
const MAIN = 'flint-layout-main';
const CENTER = 'flint-layout-center';
const EDITOR = 'flint-layout-editor';
/** The preview's share of the editor column, in %, kept per browser: it is applied each time the preview opens. */
const PREVIEW_SIZE = 'flint-layout-preview-size';

function savedPreviewSize(): number {
  const n = typeof window === 'undefined' ? NaN : Number(localStorage.getItem(PREVIEW_SIZE));
  return Number.isFinite(n) && n >= 15 && n <= 80 ? n : 45;
}

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
 * The preview, while open, is a panel beside the editor with an edge of its own and its width
 * kept per browser; opening and closing it does not remount the editor (its panel is always there).
 */
export function WorkspacePanels({ files, editor, preview, tests, ai }: { files: React.ReactNode; editor: React.ReactNode; preview: React.ReactNode | null; tests: React.ReactNode; ai: React.ReactNode }) {
  const storage = typeof window === 'undefined' ? undefined : localStorage;
  const main = useDefaultLayout({ id: MAIN, storage });
  const center = useDefaultLayout({ id: CENTER, storage });

  const filesRef = usePanelRef();
  const testsRef = usePanelRef();
  const aiRef = usePanelRef();
  const previewSize = useRef<number | null>(null);
  previewSize.current ??= savedPreviewSize();
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
          <Panel id="editor" data-testid="panel-editor-column" minSize="25%">
            <Group id={EDITOR} orientation="horizontal">
              <Panel id="code" data-testid="panel-editor" minSize="20%">
                {editor}
              </Panel>
              {preview && (
                <>
                  <Separator id="resize-preview" data-testid="resize-preview" className="resize-handle" aria-label="Resize the preview" />
                  <Panel
                    id="preview"
                    data-testid="panel-preview"
                    defaultSize={`${previewSize.current}%`}
                    minSize="15%"
                    maxSize="80%"
                    onResize={(size) => {
                      if (size.asPercentage <= 0) return;
                      previewSize.current = size.asPercentage;
                      localStorage.setItem(PREVIEW_SIZE, size.asPercentage.toFixed(2));
                    }}
                  >
                    {preview}
                  </Panel>
                </>
              )}
            </Group>
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
