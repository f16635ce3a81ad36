import { serviceSkip } from './services';
import { randomBytes } from 'node:crypto';

/**
 * Tests only: a schema of its own on the PostgreSQL at `url` (DATABASE_URL), so a run never
 * sees another run's tables; `drop` removes it. The returned URL selects it with `search_path`.
 */
export async function postgresTarget(url: string): Promise<{ url: string; drop(): Promise<void> }> {
  const { default: pg } = await import('pg');
  const schema = `flint_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
  const u = new URL(url);
  u.searchParams.set('options', `-c search_path=${schema}`);
  return {
    url: u.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query(`DROP SCHEMA ${schema} CASCADE`);
      await c.end();
    },
  };
}

/**
 * The `skip` option of a PostgreSQL suite: false when DATABASE_URL is set; locally a reason to
 * skip; under CI=true an error, so a missing service can never pass as a skip (.ci/run starts
 * a throwaway cluster and sets DATABASE_URL).
 */
export function postgresSkip(what: string): string | false {
  return serviceSkip(what, !!process.env.DATABASE_URL, 'PostgreSQL at DATABASE_URL (.ci/run starts a throwaway cluster)');
}

