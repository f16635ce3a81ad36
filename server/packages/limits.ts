/** Defaults of FLINT_NPM_MAX_TARBALL_BYTES and FLINT_NPM_MAX_TOTAL_BYTES (README → Configuration). */
export const DEFAULT_PACKAGE_LIMITS = { maxTarballBytes: 32 * 1024 * 1024, maxTotalBytes: 200 * 1024 * 1024 };
