/**
 * The `skip` option of a suite that needs an outside service: false when it is there; locally a
 * reason to skip; under CI=true an error, so a missing service can never pass as a skip.
 */
export function serviceSkip(what: string, found: boolean, service: string): string | false {
  if (found) return false;
  if (process.env.CI === 'true') throw new Error(`${what} needs ${service}, which is missing (CI=true: a missing service fails the run)`);
  return `${service} is missing: ${what} is skipped`;
}
