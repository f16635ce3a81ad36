import type { ImportLimits } from '@/lib/workspace/intake';

export interface ProjectLimits extends ImportLimits {
  /** FLINT_IMPORT_ALLOW_PRIVATE: git servers on private and loopback addresses may be cloned. */
  allowPrivate: boolean;
  /** A clone that takes longer is aborted. */
  gitTimeoutMs: number;
  /** Bytes a clone may fetch from the git server. */
  gitMaxBytes: number;
  /** The session limits the project must also fit (AppLimits). */
  maxDocBytes: number;
  maxSessionFiles: number;
}

/** What README → Configuration documents (FLINT_IMPORT_*, FLINT_GIT_*). */
export type ProjectSettings = Omit<ProjectLimits, 'maxDocBytes' | 'maxSessionFiles'>;
export const DEFAULT_PROJECT_SETTINGS: ProjectSettings = {
  maxFiles: 2_000,
  maxBytes: 32 * 1024 * 1024,
  maxFileBytes: 8 * 1024 * 1024,
  allowPrivate: false,
  gitTimeoutMs: 120_000,
  gitMaxBytes: 100 * 1024 * 1024,
};

