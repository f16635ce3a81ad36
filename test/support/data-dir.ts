import { cpSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { SCHEMA_VERSION } from '../../server/storage/migrations';
import { Storage } from '../../server/storage/storage';

/**
 * Tests only. A fresh PGlite data directory costs an `initdb` in WebAssembly (5–15 s here); a
 * copy of one made earlier costs a file copy. The template, migrated to the current schema, is
 * made once per PGlite version in the OS temp directory (built aside, then renamed into place,
 * so concurrent test processes never see half of one). Every test gets its own copy.
 */
export async function tempDataDir(prefix = 'flint-data-'): Promise<string> {
  const template = await ensureTemplate();
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  cpSync(template, dir, { recursive: true });
  return dir;
}

/** PGlite's version: its package exports no package.json, so find it above the entry point. */
function pgliteVersion(): string {
  let dir = path.dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite'));
  while (!existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).version as string;
}

async function ensureTemplate(): Promise<string> {
  const version = pgliteVersion();
  const final = path.join(os.tmpdir(), `flint-pglite-template-${version}-schema${SCHEMA_VERSION}`);
  if (existsSync(path.join(final, 'ready'))) return final;
  const building = mkdtempSync(path.join(os.tmpdir(), 'flint-pglite-building-'));
  const storage = await Storage.open({ dataDir: building });
  await storage.close();
  writeFileSync(path.join(building, 'ready'), '');
  try {
    renameSync(building, final);
  } catch {
    // Another process won the race (or left a broken one behind without `ready`).
    rmSync(building, { recursive: true, force: true });
    if (!existsSync(path.join(final, 'ready'))) {
      rmSync(final, { recursive: true, force: true });
      return ensureTemplate();
    }
  }
  return final;
}
