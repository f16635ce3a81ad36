import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { strToU8, unzipSync, zipSync } from 'fflate';
import type { Page } from '@playwright/test';
import { expect, test, type Workspace } from './fixtures';
import { startGitServer, type GitServer } from '../test/support/git-http-server';

// Projects in and out, in a real browser: a folder through the directory input and through a
// synthetic drop, zips, a real git server (git-http-backend on 127.0.0.1; the e2e server runs
// with FLINT_IMPORT_ALLOW_PRIVATE=true), templates, recent sessions, the changes panel and the
// zip and patch downloads — the patch judged by `git apply`.

/** A valid 1×1 PNG: the binary file of these projects. */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');

const PROJECT: Record<string, string | Buffer> = {
  'src/index.ts': 'export function greet(name: string) {\n  return `Hello, ${name}`;\n}\n',
  'docs/café menu.md': '# Menü\n\nCroissant ✓\n',
  'assets/logo.png': PNG,
  'remove-me.txt': 'bye\n',
  '.gitignore': '*.log\n',
};
const SKIPPED: Record<string, string> = { 'debug.log': 'noise\n', 'node_modules/left-pad/index.js': 'module.exports = 1;\n', 'dist/bundle.js': 'built\n' };

function writeTree(dir: string, files: Record<string, string | Buffer>) {
  for (const [p, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, p)), { recursive: true });
    writeFileSync(path.join(dir, p), content);
  }
}
function readTree(dir: string, rel = ''): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const name of readdirSync(path.join(dir, rel))) {
    if (name === '.git') continue;
    const p = rel ? `${rel}/${name}` : name;
    if (statSync(path.join(dir, p)).isDirectory()) Object.assign(out, readTree(dir, p));
    else out[p] = readFileSync(path.join(dir, p));
  }
  return out;
}

async function openChoices(page: Page) {
  await page.goto('/');
  await page.getByTestId('open-project').click();
  await expect(page.getByTestId('open-project-choices')).toBeVisible();
}

async function expectSessionWith(workspace: Workspace, paths: string[]) {
  await workspace.page.waitForURL(/\/s\/[A-Za-z0-9_-]{22}$/);
  await expect(workspace.connectionStatus).toHaveText('ready');
  for (const p of paths) await expect(workspace.fileItem(p)).toHaveCount(1);
}

async function expectRefused(page: Page, code: string, message: RegExp) {
  const banner = page.getByTestId('error-banner');
  await expect(banner).toHaveAttribute('data-code', code);
  await expect(banner).toContainText(message);
  expect(new URL(page.url()).pathname).toBe('/');
}

let folder: string;
let gitServer: GitServer;
test.beforeAll(async () => {
  folder = path.join(mkdtempSync(path.join(os.tmpdir(), 'flint-e2e-folder-')), 'my-project');
  writeTree(folder, { ...PROJECT, ...SKIPPED });
  gitServer = await startGitServer();
});
test.afterAll(async () => {
  rmSync(path.dirname(folder), { recursive: true, force: true });
  await gitServer.close();
});

test('a folder from the directory picker comes in; changes are listed; the zip and the patch go back out', async ({ page, workspace }) => {
  await openChoices(page);
  await page.getByTestId('import-folder-input').setInputFiles(folder);
  await expectSessionWith(workspace, ['src/index.ts', 'docs/café menu.md', 'assets/logo.png', 'remove-me.txt', '.gitignore']);
  await expect(workspace.fileItem('debug.log')).toHaveCount(0);
  await expect(page.locator('[data-testid=file-item][data-path^="node_modules"]')).toHaveCount(0);
  await expect(page.locator('[data-testid=file-item][data-path^="dist"]')).toHaveCount(0);

  // The binary file is shown as an image, not opened as text.
  await workspace.fileItem('assets/logo.png').click();
  await expect(page.getByTestId('binary-label')).toHaveText('binary');
  await expect.poll(() => page.getByTestId('binary-image').evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(1);

  // Nothing changed yet; then an edit, a deletion and a new file.
  const panel = page.getByTestId('changes-panel');
  await expect(panel.getByTestId('changed-file')).toHaveCount(0);
  await workspace.fileItem('src/index.ts').click();
  await workspace.waitReady();
  await workspace.focusEditorAtStart();
  await page.keyboard.type('// edited\n');
  await workspace.fileItem('remove-me.txt').hover();
  await workspace.fileItem('remove-me.txt').getByTestId('file-delete').click();
  await workspace.fileItem('remove-me.txt').getByTestId('file-delete-confirm').click();
  await page.getByTestId('new-file').click();
  await page.getByTestId('file-name-input').fill('notes/ideas 💡.md');
  await page.getByTestId('file-name-input').press('Enter');
  await expect(panel.locator('[data-testid=changed-file][data-path="src/index.ts"]')).toHaveAttribute('data-change', 'modified');
  await expect(panel.locator('[data-testid=changed-file][data-path="remove-me.txt"]')).toHaveAttribute('data-change', 'deleted');
  await expect(panel.locator('[data-testid=changed-file][data-path="notes/ideas 💡.md"]')).toHaveAttribute('data-change', 'added');
  await expect(panel.getByTestId('changed-file')).toHaveCount(3);

  const expected: Record<string, Buffer> = {
    'src/index.ts': Buffer.from(`// edited\n${PROJECT['src/index.ts']}`),
    'docs/café menu.md': Buffer.from(PROJECT['docs/café menu.md'] as string),
    'assets/logo.png': PNG,
    '.gitignore': Buffer.from(PROJECT['.gitignore'] as string),
    'notes/ideas 💡.md': Buffer.from(''),
  };

  // The zip holds the workspace byte for byte.
  const zipDownload = page.waitForEvent('download');
  await page.getByTestId('export-zip').click();
  const zip = unzipSync(readFileSync(await (await zipDownload).path()));
  expect(Object.keys(zip).sort()).toEqual(Object.keys(expected).sort());
  for (const [p, bytes] of Object.entries(expected)) expect(Buffer.from(zip[p]).equals(bytes), p).toBe(true);

  // The patch, applied by git to the folder as imported, gives the same tree.
  const patchDownload = page.waitForEvent('download');
  await page.getByTestId('export-patch').click();
  const patchFile = await (await patchDownload).path();
  const repo = mkdtempSync(path.join(os.tmpdir(), 'flint-e2e-apply-'));
  try {
    execFileSync('git', ['init', '-q', repo]);
    writeTree(repo, PROJECT);
    execFileSync('git', ['apply', patchFile], { cwd: repo });
    const tree = readTree(repo);
    expect(Object.keys(tree).sort()).toEqual(Object.keys(expected).sort());
    for (const [p, bytes] of Object.entries(expected)) expect(tree[p].equals(bytes), p).toBe(true);
  } finally {
    rmSync(repo, { recursive: true, force: true });
  }
});

test('a folder dropped on the page, and a zip dropped on it, come in', async ({ page, workspace }) => {
  await page.goto('/');
  // A synthetic drop of a folder's files (what a DataTransfer from the OS carries as files).
  await page.evaluate(async () => {
    const dt = new DataTransfer();
    dt.items.add(new File(['export const dropped = 1;\n'], 'dropped.ts', { type: 'text/typescript' }));
    dt.items.add(new File(['# Dropped ✓\n'], 'README.md', { type: 'text/markdown' }));
    window.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
    window.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  });
  await expectSessionWith(workspace, ['dropped.ts', 'README.md']);

  await page.goto('/');
  const zip = Buffer.from(zipSync({ 'zipped/app.py': strToU8('print("hi")\n'), 'zipped/data.bin': new Uint8Array([0, 1, 2, 255]) }));
  await page.evaluate(async (bytes) => {
    const dt = new DataTransfer();
    dt.items.add(new File([new Uint8Array(bytes)], 'zipped.zip', { type: 'application/zip' }));
    window.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, [...zip]);
  await expectSessionWith(workspace, ['app.py', 'data.bin']);
  await expect(workspace.fileItem('data.bin')).toHaveAttribute('data-binary', 'true');
});

test('a zip comes in; a corrupt zip and an escaping zip are refused on the page, and create nothing', async ({ page, workspace }) => {
  await openChoices(page);
  const recentBefore = await page.getByTestId('recent-session').count();
  await page.getByTestId('import-zip-input').setInputFiles({ name: 'broken.zip', mimeType: 'application/zip', buffer: Buffer.from('PK\u0003\u0004 not really a zip') });
  await expectRefused(page, 'importInvalid', /not a zip file/);
  await page.getByTestId('import-zip-input').setInputFiles({ name: 'evil.zip', mimeType: 'application/zip', buffer: Buffer.from(zipSync({ 'ok.txt': strToU8('x'), '../../etc/evil': strToU8('x') })) });
  await expectRefused(page, 'importInvalid', /points outside the project/);
  await page.reload();
  await expect(page.getByTestId('recent-session')).toHaveCount(recentBefore);

  await page.getByTestId('open-project').click();
  await page.getByTestId('import-zip-input').setInputFiles({ name: 'lib.zip', mimeType: 'application/zip', buffer: Buffer.from(zipSync({ 'lib/main.ts': strToU8('export {};\n'), 'lib/pic.png': new Uint8Array(PNG) })) });
  await expectSessionWith(workspace, ['main.ts', 'pic.png']);
});

test('a git repository is cloned with progress; a missing one and a refused address get typed errors', async ({ page, workspace }) => {
  const url = gitServer.createRepo('e2e-app', { 'README.md': '# From git\n', 'src/app.ts': 'export const app = 1;\n', 'logo.png': PNG }, 'main');
  const commit = gitServer.git(['rev-parse', 'main'], path.join(gitServer.root, 'e2e-app.git')).trim();
  await openChoices(page);
  // Everything the progress line shows while the clone runs.
  await page.evaluate(() => {
    const seen: string[] = ((window as unknown as { progressSeen: string[] }).progressSeen = []);
    new MutationObserver(() => {
      const el = document.querySelector('[data-testid=import-progress]');
      if (el?.textContent && seen.at(-1) !== el.textContent) seen.push(el.textContent);
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  });

  await page.getByTestId('import-git-url').fill(`${gitServer.url}/nothing-here.git`);
  await page.getByTestId('import-git-submit').click();
  await expectRefused(page, 'gitFailed', /404/);

  await page.getByTestId('import-git-url').fill('http://169.254.169.254/latest/meta-data.git');
  await page.getByTestId('import-git-submit').click();
  await expectRefused(page, 'addressRefused', /metadata/);

  await page.getByTestId('import-git-url').fill(url);
  await page.getByTestId('import-git-ref').fill('main');
  await page.getByTestId('import-git-submit').click();
  const seen = page.evaluate(() => (window as unknown as { progressSeen: string[] }).progressSeen.slice());
  await expectSessionWith(workspace, ['README.md', 'src/app.ts', 'logo.png']);
  expect((await seen).length).toBeGreaterThan(0);
  await expect(page.getByTestId('changes-panel')).toContainText(`main @ ${commit.slice(0, 7)}`);

  // Push the change as a branch: a wrong token is refused on the page, the right one pushes.
  await workspace.fileItem('src/app.ts').click();
  await workspace.waitReady();
  await workspace.focusEditorAtStart();
  await page.keyboard.type('// from the browser\n');
  await expect(page.locator('[data-testid=changed-file][data-path="src/app.ts"]')).toHaveAttribute('data-change', 'modified');
  await page.getByTestId('push-open').click();
  await page.getByTestId('push-branch').fill('flint/e2e');
  await page.getByTestId('push-token').fill('not-the-token');
  await page.getByTestId('push-submit').click();
  await expect(page.getByTestId('push-error')).toHaveAttribute('data-code', 'pushRejected');
  await expect(page.getByTestId('push-token')).toHaveValue('');
  await page.getByTestId('push-token').fill(gitServer.token);
  await page.getByTestId('push-submit').click();
  await expect(page.getByTestId('push-url')).toContainText('e2e-app.git (branch flint/e2e)');
  const bare = path.join(gitServer.root, 'e2e-app.git');
  expect(gitServer.git(['show', 'flint/e2e:src/app.ts'], bare)).toBe('// from the browser\nexport const app = 1;\n');
  expect(gitServer.git(['rev-parse', 'flint/e2e^'], bare).trim()).toBe(commit);
});

test('templates start sessions, and recent sessions list them newest first', async ({ page, workspace }) => {
  const ids: string[] = [];
  for (const [template, file] of [['ts-library', 'src/index.test.ts'], ['react-app', 'src/App.tsx'], ['python-package', 'tests/test_core.py']] as const) {
    await openChoices(page);
    await page.locator(`[data-testid=template][data-template=${template}]`).click();
    await expectSessionWith(workspace, [file]);
    ids.push(workspace.sessionId);
  }
  await page.goto('/');
  const items = page.getByTestId('recent-session');
  await expect(items.first()).toHaveAttribute('data-session', ids[2]);
  await expect(items.nth(0)).toContainText('Python package');
  await expect(items.nth(1)).toHaveAttribute('data-session', ids[1]);
  await expect(items.nth(2)).toHaveAttribute('data-session', ids[0]);
  await items.nth(1).getByRole('link').click();
  await expectSessionWith(workspace, ['src/App.tsx']);
});
