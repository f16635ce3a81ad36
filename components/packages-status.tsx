'use client';
import { useStore } from 'zustand';
import type { PackagesStoreApi, PackagesState } from '@/lib/sandbox/packages-client';
import styles from './test-panel.module.css';

/**
 * The session's npm packages (its package.json dependencies): each direct dependency with its
 * resolved version and state; an error names the package and says why. Nothing when the
 * session has no dependencies.
 */
export function PackagesStatus({ store }: { store: PackagesStoreApi }) {
  const status = useStore(store, (s: PackagesState) => s.status);
  if (!status || (status.items.length === 0 && !status.error)) return null;
  const resolving = status.items.filter((i) => i.status === 'resolving').length;
  return (
    <div className={styles.packages} data-testid="packages-status" data-resolving={status.resolving ? 'true' : 'false'} aria-label="Packages">
      <span className={styles.status}>
        packages{status.resolving ? ` · resolving ${status.items.length - resolving}/${status.items.length}` : ''}
      </span>
      {status.error && (
        <span className={styles.fail} data-testid="packages-error">
          {status.error.message}
        </span>
      )}
      <ul className={styles.packageList}>
        {status.items.map((i) => (
          <li key={i.name} data-testid="package-item" data-name={i.name} data-version={i.version ?? ''} data-status={i.status} title={i.error?.message ?? `${i.name}@${i.range}`}>
            <code>
              {i.name}
              {i.version ? `@${i.version}` : ''}
            </code>{' '}
            <span className={i.status === 'error' ? styles.fail : styles.status}>{i.status === 'error' ? i.error?.message : i.status}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}
