import Config from '@npmcli/config';
import npmDefinitions from '@npmcli/config/lib/definitions/index.js';

/**
 * The registry Flint resolves packages against: FLINT_NPM_REGISTRY, else the one npm on this
 * machine is configured with, read the way npm reads it (@npmcli/config: `npm_config_registry`
 * and the other environment variables, the user's and the global `.npmrc`, npm's built-in
 * default), so Flint works behind a mirror or a private registry with no extra setting.
 * The project `.npmrc` of the server's working directory is not read (`excludeNpmCwd`):
 * the server is not an npm project.
 */
export async function npmConfiguredRegistry(env: Record<string, string | undefined> = process.env, cwd = process.cwd()): Promise<string> {
  const { definitions, flatten, shorthands } = npmDefinitions as unknown as { definitions: object; flatten: object; shorthands: object };
  const config = new Config({ definitions, flatten, shorthands, npmPath: cwd, argv: [], env, cwd, excludeNpmCwd: true } as never);
  await config.load();
  return normalizeRegistry(String(config.get('registry')));
}

/** The registry URL with exactly one trailing slash (npm-registry-fetch joins paths onto it). */
export function normalizeRegistry(url: string): string {
  const u = new URL(url);
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`The npm registry must be an http(s) URL, not ${url}`);
  return u.href.replace(/\/*$/, '/');
}

export async function registryFor(env: Record<string, string | undefined> = process.env, cwd = process.cwd()): Promise<string> {
  return env.FLINT_NPM_REGISTRY ? normalizeRegistry(env.FLINT_NPM_REGISTRY) : npmConfiguredRegistry(env, cwd);
}
