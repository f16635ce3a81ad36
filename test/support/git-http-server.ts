import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';

/**
 * A real git server for tests: git's own `git-http-backend` (CGI) behind a small Node HTTP
 * server on 127.0.0.1, a random port. Serves every bare repository under `root` over smart
 * HTTP, clone (upload-pack) and push (receive-pack). `/repo.git` → `<root>/repo.git`.
 * A push needs `Authorization: Basic` with password `token` (any user), as a forge would ask;
 * `rejectPushes` makes every receive-pack answer 403.
 */
export interface GitServer {
  url: string;
  root: string;
  /** Creates `<name>.git` from files (a map of path → content), committed on `branch`. */
  createRepo(name: string, files: Record<string, string | Uint8Array>, branch?: string): string;
  /** The files of `ref` in a bare repo, listed by git itself. */
  git(args: string[], cwd?: string): string;
  close(): Promise<void>;
  token: string;
}

const BACKEND = '/usr/lib/git-core/git-http-backend';

export async function startGitServer(opts: { token?: string } = {}): Promise<GitServer> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'flint-git-'));
  const token = opts.token ?? 'secret-token';
  const env = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', HOME: root, GIT_AUTHOR_NAME: 'Test', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 'Test', GIT_COMMITTER_EMAIL: 't@example.com' };
  const git = (args: string[], cwd = root) => execFileSync('git', args, { cwd, env, encoding: 'utf8' });

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const isPush = url.pathname.endsWith('/git-receive-pack') || url.searchParams.get('service') === 'git-receive-pack';
    if (isPush) {
      const auth = req.headers.authorization ?? '';
      const password = auth.startsWith('Basic ') ? Buffer.from(auth.slice(6), 'base64').toString().split(':').slice(1).join(':') : '';
      if (password !== token) {
        res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="git"' }).end('auth required');
        return;
      }
    }
    const cgi = spawn(BACKEND, [], {
      env: {
        ...env,
        GIT_PROJECT_ROOT: root,
        GIT_HTTP_EXPORT_ALL: '1',
        REMOTE_USER: 'test',
        PATH_INFO: decodeURIComponent(url.pathname),
        QUERY_STRING: url.search.slice(1),
        REQUEST_METHOD: req.method ?? 'GET',
        CONTENT_TYPE: req.headers['content-type'] ?? '',
        HTTP_CONTENT_ENCODING: String(req.headers['content-encoding'] ?? ''),
        GIT_HTTP_MAX_REQUEST_BUFFER: '100M',
      },
    });
    req.pipe(cgi.stdin);
    let head = Buffer.alloc(0);
    let headersDone = false;
    cgi.stdout.on('data', (chunk: Buffer) => {
      if (headersDone) return void res.write(chunk);
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      headersDone = true;
      let status = 200;
      const headers: Record<string, string> = {};
      for (const line of head.subarray(0, end).toString().split('\r\n')) {
        const i = line.indexOf(':');
        const k = line.slice(0, i).trim();
        const v = line.slice(i + 1).trim();
        if (k.toLowerCase() === 'status') status = Number.parseInt(v, 10);
        else headers[k] = v;
      }
      res.writeHead(status, headers);
      res.write(head.subarray(end + 4));
    });
    cgi.stdout.on('end', () => res.end());
    cgi.on('error', () => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    root,
    token,
    git,
    createRepo(name, files, branch = 'main') {
      const bare = path.join(root, `${name}.git`);
      const work = mkdtempSync(path.join(os.tmpdir(), 'flint-git-work-'));
      git(['init', '-q', '-b', branch, work]);
      for (const [p, content] of Object.entries(files)) {
        mkdirSync(path.dirname(path.join(work, p)), { recursive: true });
        writeFileSync(path.join(work, p), content);
      }
      git(['add', '-A'], work);
      git(['commit', '-q', '-m', 'initial'], work);
      git(['clone', '-q', '--bare', work, bare]);
      git(['config', 'http.receivepack', 'true'], bare);
      rmSync(work, { recursive: true, force: true });
      return `http://127.0.0.1:${port}/${name}.git`;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          rmSync(root, { recursive: true, force: true });
          resolve();
        });
      }),
  };
}
