import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from './config';
import { Storage } from './storage/storage';
import { copyStorage } from './storage/copy';

const USAGE = `Usage: npm run flint -- migrate --to <postgres://… | directory> [--from <postgres://… | directory>]

  Copies every session (files, AI turns, hunks, checkpoints, last test run) and share link
  from one database to another, then verifies each session's checksum and the counts.
  --from  defaults to this Flint's own database (DATABASE_URL, else FLINT_DATA_DIR).
  A directory is an embedded PGlite database (created when missing); a postgres:// URL a server.
  Stop Flint first: an embedded database in use by a Flint process is refused.
  Re-running is safe: sessions already copied are checked and skipped.`;

/** `postgres://…` or a PGlite data directory. */
function target(where: string) {
  return /^postgres(ql)?:\/\//.test(where) ? { databaseUrl: where, dataDir: '' } : { dataDir: path.resolve(where) };
}

function describe(where: { databaseUrl?: string; dataDir: string }): string {
  if (!where.databaseUrl) return `PGlite in ${where.dataDir}`;
  const u = new URL(where.databaseUrl);
  u.password = u.password ? '…' : '';
  return `PostgreSQL ${u.toString()}`;
}

async function migrate(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { to: { type: 'string' }, from: { type: 'string' } }, strict: true });
  if (!values.to) {
    console.error(USAGE);
    return 64;
  }
  const config = values.from ? null : loadConfig();
  const from = values.from ? target(values.from) : { databaseUrl: config!.databaseUrl, dataDir: config!.dataDir };
  const to = target(values.to);
  if (describe(from) === describe(to)) {
    console.error('flint migrate: --from and --to are the same database');
    return 64;
  }
  console.log(`[flint] migrate: ${describe(from)} → ${describe(to)}`);
  const source = await Storage.open(from);
  try {
    const dest = await Storage.open(to);
    try {
      let last = 0;
      const report = await copyStorage(source, dest, (done, total) => {
        if (done === total || Date.now() - last > 500) {
          last = Date.now();
          console.log(`[flint] migrate: ${done}/${total} sessions`);
        }
      });
      console.log(
        `[flint] migrate: done — ${report.copied} sessions, ${report.links} links and ${report.blobs} binary files copied, ${report.alreadyThere} already there, every one verified (checksum and links).`,
      );
      if (report.conflicts.length) {
        console.error(`[flint] migrate: ${report.conflicts.length} sessions exist in the target with other content and were left as they are: ${report.conflicts.join(', ')}`);
        return 2;
      }
      return 0;
    } finally {
      await dest.close();
    }
  } finally {
    await source.close();
  }
}

/** Flint's command line (`npm run flint -- <command>`), compiled with the server (dist/server/cli.js). */
async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'migrate') return migrate(rest);
  console.error(command ? `flint: unknown command ${command}\n\n${USAGE}` : USAGE);
  return 64;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`flint: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
