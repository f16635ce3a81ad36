import { expect, test, uniqueMarker, Workspace } from './fixtures';

const SEED_FILES = ['README.md', 'src/cart.test.ts', 'src/cart.ts'];

test.describe('session', () => {
  test('a new session opens the workspace with the file tree and Monaco', async ({ workspace: ws, page }) => {
    await page.goto('/');
    await page.getByTestId('new-session').click();
    await expect(page).toHaveURL(/\/s\/[A-Za-z0-9_-]{22}$/);

    await expect(ws.fileTree).toBeVisible();
    await expect(ws.connectionStatus).toHaveText('ready');
    await expect(ws.editor).toHaveAttribute('data-ready', 'true');
    await expect(ws.editor).toHaveAttribute('data-path', 'src/cart.ts');
    await expect(ws.providerStatus).toContainText(/simulator|flint-sim/);
    await expect(ws.streamStatus).toHaveText('idle');

    const paths = await ws.fileItems.evaluateAll((items) => items.map((i) => i.getAttribute('data-path')));
    expect([...paths].sort()).toEqual(SEED_FILES);
    await expect(ws.fileItem('src/cart.ts')).toHaveClass(/active/);

    // Monaco rendered the open file's text.
    await expect.poll(async () => (await ws.visibleLines()).slice(0, 2)).toEqual(['export interface Item {', '  sku: string;']);

    // Clicking another file opens it.
    await ws.fileItem('README.md').click();
    await expect(ws.editor).toHaveAttribute('data-path', 'README.md');
    await expect(ws.fileItem('README.md')).toHaveClass(/active/);
    await expect.poll(async () => (await ws.visibleLines())[0]).toBe('# Example project');
  });

  test('typed text shows in the editor and reaches the server', async ({ workspace: ws, joinPeer }) => {
    const id = await ws.newSession();
    const peer = await joinPeer(id);
    const original = peer.text('src/cart.ts')!;
    const line = `// typed by e2e ${uniqueMarker('wombat')}`;

    await ws.focusEditorAtStart();
    await ws.page.keyboard.type(line);
    await ws.page.keyboard.press('Enter');

    await expect.poll(async () => (await ws.visibleLines()).slice(0, 2)).toEqual([line, 'export interface Item {']);
    await expect.poll(() => peer.text('src/cart.ts')).toBe(`${line}\n${original}`);
  });

  test('create, rename and delete a file', async ({ workspace: ws, joinPeer }) => {
    const id = await ws.newSession();
    const peer = await joinPeer(id);
    const marker = uniqueMarker('kiwi');
    const created = `src/${marker}.ts`;
    const renamed = `src/${marker}-renamed.ts`;

    // Create: the input starts with "src/"; Enter creates the file and opens it.
    await ws.newFileButton.click();
    await expect(ws.fileNameInput).toBeFocused();
    await expect(ws.fileNameInput).toHaveValue('src/');
    await ws.fileNameInput.fill(created);
    await ws.fileNameInput.press('Enter');
    await expect(ws.fileNameInput).toBeHidden();
    await expect(ws.fileItem(created)).toBeVisible();
    await expect(ws.editor).toHaveAttribute('data-path', created);
    await expect(ws.editor).toHaveAttribute('data-ready', 'true');
    await expect.poll(() => peer.files()).toEqual([...SEED_FILES, created].sort());

    // Give it some content, so the rename can be seen to keep it.
    const body = `// body of ${marker}`;
    await ws.focusEditorAtStart();
    await ws.page.keyboard.type(body);
    await expect.poll(() => peer.text(created)).toBe(body);

    // Rename: the same input, prefilled with the current path.
    await ws.fileItem(created).hover();
    await ws.fileItem(created).getByTestId('file-rename').click();
    await expect(ws.fileNameInput).toHaveValue(created);
    await ws.fileNameInput.fill(renamed);
    await ws.fileNameInput.press('Enter');
    await expect(ws.fileNameInput).toBeHidden();
    await expect(ws.fileItem(renamed)).toBeVisible();
    await expect(ws.fileItem(created)).toHaveCount(0);
    await expect(ws.editor).toHaveAttribute('data-path', renamed);
    await expect.poll(() => peer.files()).toEqual([...SEED_FILES, renamed].sort());
    expect(peer.text(renamed)).toBe(body);
    await expect.poll(async () => (await ws.visibleLines())[0]).toBe(body);

    // Delete: needs a confirmation; the open file goes away and the editor falls back to src/cart.ts.
    await ws.fileItem(renamed).hover();
    await ws.fileItem(renamed).getByTestId('file-delete').click();
    await expect(ws.fileItem(renamed)).toBeVisible(); // not deleted before confirming
    await ws.fileItem(renamed).getByTestId('file-delete-confirm').click();
    await expect(ws.fileItem(renamed)).toHaveCount(0);
    await expect(ws.fileItems).toHaveCount(SEED_FILES.length);
    await expect.poll(() => peer.files()).toEqual(SEED_FILES);
    await expect(ws.editor).toHaveAttribute('data-path', 'src/cart.ts');
  });

  test('a bad file name shows an error and creates nothing', async ({ workspace: ws, joinPeer }) => {
    const id = await ws.newSession();
    const peer = await joinPeer(id);
    const cartBefore = peer.text('src/cart.ts');

    for (const bad of ['src/../escape.ts', 'src\\back.ts', '/abs.ts', 'src//double.ts']) {
      await ws.newFileButton.click();
      await ws.fileNameInput.fill(bad);
      await ws.fileNameInput.press('Enter');
      await expect(ws.fileNameError, `error for ${JSON.stringify(bad)}`).toBeVisible();
      await expect(ws.fileNameInput).toBeVisible(); // still editing, so the name can be fixed
      await expect(ws.fileNameInput).toHaveAttribute('aria-invalid', 'true');
      await ws.fileNameInput.press('Escape');
      await expect(ws.fileNameInput).toBeHidden();
    }

    // An existing name is refused by the server and leaves the existing file alone.
    await ws.newFileButton.click();
    await ws.fileNameInput.fill('src/cart.ts');
    await ws.fileNameInput.press('Enter');
    await expect(ws.fileNameError).toBeVisible();
    await ws.fileNameInput.press('Escape');

    await expect(ws.fileItems).toHaveCount(SEED_FILES.length);
    // The server's copy is what counts: a round trip through a fresh peer sees no new file either.
    const fresh = await joinPeer(id);
    expect(fresh.files()).toEqual(SEED_FILES);
    expect(peer.files()).toEqual(SEED_FILES);
    expect(fresh.text('src/cart.ts')).toBe(cartBefore);
  });

  test('two pages on the same session URL see each other\'s typing (Yjs)', async ({ workspace: ws, browser }) => {
    const id = await ws.newSession();

    const otherContext = await browser.newContext();
    try {
      const other = new Workspace(await otherContext.newPage());
      await other.openLink(await ws.shareLink('edit'));

      const mine = `// first page ${uniqueMarker('otter')}`;
      await ws.focusEditorAtStart();
      await ws.page.keyboard.type(mine);
      await ws.page.keyboard.press('Enter');
      await expect.poll(async () => (await other.visibleLines()).slice(0, 2)).toEqual([mine, 'export interface Item {']);

      const theirs = `// second page ${uniqueMarker('heron')}`;
      await other.focusEditorAtStart();
      await other.page.keyboard.type(theirs);
      await other.page.keyboard.press('Enter');
      await expect.poll(async () => (await ws.visibleLines()).slice(0, 3)).toEqual([theirs, mine, 'export interface Item {']);
      await expect.poll(async () => (await other.visibleLines()).slice(0, 3)).toEqual([theirs, mine, 'export interface Item {']);
    } finally {
      await otherContext.close();
    }
  });
});
