import fs from 'node:fs/promises';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import ssri from 'ssri';
import { runServer } from 'verdaccio';

/**
 * A real npm registry for tests: Verdaccio on 127.0.0.1, a random port (or `port`), its own
 * storage in a temp folder and NO uplink (nothing reaches the internet). Packages are published
 * into it over npm's publish protocol from tarballs packed (`npm pack --ignore-scripts`) from packages
 * installed in this repository's node_modules, so the tests resolve real react, zod, lodash…
 */
export interface Registry {
  url: string;
  storage: string;
  /** Packs `node_modules/<name>` and publishes it (as `as`, or at `version`, when given). */
  publishInstalled(name: string, opts?: { as?: string; version?: string }): Promise<{ name: string; version: string; integrity: string }>;
  /**
   * Publishes each of `names` and everything it needs (dependencies, and peers that are
   * installed), each version found by Node's resolution from the package that requires it — so a
   * nested copy (`pretty-format/node_modules/ansi-styles@5`) is published beside the hoisted one.
   */
  publishTree(names: string[]): Promise<Array<{ name: string; version: string }>>;
  /** Publishes a package made of `files` (package.json included). */
  publishFiles(files: Record<string, string>): Promise<{ name: string; version: string; integrity: string }>;
  close(): Promise<void>;
}

const exec = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');

export async function startRegistry(opts: { port?: number; storage?: string } = {}): Promise<Registry> {
  const storage = opts.storage ?? (await fs.mkdtemp(path.join(os.tmpdir(), 'flint-verdaccio-')));
  const config = {
    self_path: storage,
    storage: path.join(storage, 'storage'),
    uplinks: {},
    packages: {
      '@*/*': { access: '$all', publish: '$all', unpublish: '$all' },
      '**': { access: '$all', publish: '$all', unpublish: '$all' },
    },
    auth: { htpasswd: { file: path.join(storage, 'htpasswd'), max_users: -1 } },
    web: { enable: false },
    log: { type: 'stdout', format: 'json', level: 'fatal' },
    max_body_size: '200mb',
  };
  const server: http.Server = await runServer(config as never);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;

  async function publish(manifest: Record<string, unknown> & { name: string; version: string }, tarball: Buffer) {
    const integrity = ssri.fromData(tarball, { algorithms: ['sha512'] }).toString();
    const shasum = ssri.fromData(tarball, { algorithms: ['sha1'] }).hexDigest();
    const file = `${manifest.name.replace(/^@[^/]+\//, '')}-${manifest.version}.tgz`;
    const body = {
      _id: manifest.name,
      name: manifest.name,
      'dist-tags': { latest: manifest.version },
      versions: {
        [manifest.version]: { ...manifest, _id: `${manifest.name}@${manifest.version}`, dist: { integrity, shasum, tarball: `${url}${manifest.name}/-/${file}` } },
      },
      _attachments: { [file]: { content_type: 'application/octet-stream', data: tarball.toString('base64'), length: tarball.length } },
    };
    const res = await fetch(`${url}${manifest.name.replace('/', '%2f')}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`publish ${manifest.name}@${manifest.version}: HTTP ${res.status} ${await res.text()}`);
    return { name: manifest.name, version: manifest.version, integrity };
  }

  async function packDir(dir: string) {
    // npm's own packer (files/.npmignore rules), scripts off; the tarball lands in a temp folder.
    const out = await fs.mkdtemp(path.join(os.tmpdir(), 'flint-packed-'));
    const { stdout } = await exec('npm', ['pack', dir, '--ignore-scripts', '--json', '--pack-destination', out], { maxBuffer: 64 * 1024 * 1024 });
    const [{ filename }] = JSON.parse(stdout) as Array<{ filename: string }>;
    const tarball = await fs.readFile(path.join(out, filename));
    await fs.rm(out, { recursive: true, force: true });
    const manifest = JSON.parse(await fs.readFile(path.join(dir, 'package.json'), 'utf8'));
    delete manifest.scripts; // never run anyway; keeps the published manifest plain
    return { tarball, manifest };
  }

  return {
    url,
    storage,
    async publishInstalled(name, o = {}) {
      const dir = path.join(ROOT, 'node_modules', name);
      if (!o.as && !o.version) {
        const { tarball, manifest } = await packDir(dir);
        return publish(manifest, tarball);
      }
      // A renamed or re-versioned copy: repack with the changed package.json.
      const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'flint-pack-'));
      try {
        await fs.cp(dir, tmp, { recursive: true });
        const manifest = JSON.parse(await fs.readFile(path.join(tmp, 'package.json'), 'utf8'));
        if (o.as) manifest.name = o.as;
        if (o.version) manifest.version = o.version;
        await fs.writeFile(path.join(tmp, 'package.json'), JSON.stringify(manifest));
        const packed = await packDir(tmp);
        return publish(packed.manifest, packed.tarball);
      } finally {
        await fs.rm(tmp, { recursive: true, force: true });
      }
    },
    async publishTree(names) {
      const done = new Map<string, { name: string; version: string }>();
      const queue = names.map((name) => ({ name, from: ROOT, optional: false }));
      while (queue.length) {
        const { name, from, optional } = queue.shift()!;
        const dir = await installedDir(name, from);
        if (!dir) {
          if (optional) continue;
          throw new Error(`publishTree: ${name} (needed by ${path.relative(ROOT, from) || 'the repository'}) is not installed`);
        }
        if ([...done.keys()].includes(dir)) continue;
        const manifest = JSON.parse(await fs.readFile(path.join(dir, 'package.json'), 'utf8'));
        const packed = await packDir(dir);
        done.set(dir, await publish(packed.manifest, packed.tarball));
        for (const dep of Object.keys(manifest.dependencies ?? {})) queue.push({ name: dep, from: dir, optional: false });
        for (const dep of Object.keys(manifest.peerDependencies ?? {})) queue.push({ name: dep, from: dir, optional: true });
      }
      return [...done.values()];
    },
    async publishFiles(files) {
      const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'flint-pack-'));
      try {
        for (const [p, text] of Object.entries(files)) {
          await fs.mkdir(path.dirname(path.join(tmp, p)), { recursive: true });
          await fs.writeFile(path.join(tmp, p), text);
        }
        const packed = await packDir(tmp);
        return publish(packed.manifest, packed.tarball);
      } finally {
        await fs.rm(tmp, { recursive: true, force: true });
      }
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Keep-alive sockets (pacote's agent) would hold close() open.
      (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      await closed;
      if (!opts.storage) await fs.rm(storage, { recursive: true, force: true });
    },
  };
}

/** Where Node would find `name` when `from` (a package folder) requires it; null if nowhere. */
async function installedDir(name: string, from: string): Promise<string | null> {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (await fs.stat(path.join(candidate, 'package.json')).then(() => true, () => false)) return await fs.realpath(candidate);
    if (dir === ROOT || dir === path.dirname(dir)) return null;
  }
}
