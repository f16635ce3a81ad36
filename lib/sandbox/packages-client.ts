'use client';
import type * as Y from 'yjs';
import { createStore, type StoreApi } from 'zustand/vanilla';
import { filesOf } from '@/lib/collab/workspace-doc';
import type { PackagesStatus, Response } from '@/lib/protocol';
import type { FlintSocket } from '@/lib/client/connection';
import { cachedLoader, type PackageSources } from './packages';

/**
 * The session's packages in this tab: asks the server to resolve package.json on join and on
 * every change of it (debounced), keeps the latest `packages:status` (anyone's request) in a
 * store for the panel, and gives the test runner the sources to bundle with — waiting for a
 * resolution still running, so a run right after editing package.json uses the new packages.
 */
export interface PackagesState {
  status: PackagesStatus | null;
}
export type PackagesStoreApi = StoreApi<PackagesState>;

const DEBOUNCE_MS = 300;

export class PackagesClient {
  readonly store: PackagesStoreApi = createStore<PackagesState>(() => ({ status: null }));
  private pending: Promise<PackagesStatus | null> | null = null;
  private requestedFor: string | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private retries = 0;
  private readonly off: Array<() => void> = [];
  private readonly load: (url: string) => Promise<string>;

  constructor(
    private readonly doc: Y.Doc,
    private readonly socket: FlintSocket,
    /** Where bundles are fetched from: the sandbox's origin. */
    baseOrigin: string,
    /** Each ready package's declaration files, once (for the editor). */
    onTypes?: (files: Record<string, string>) => void,
  ) {
    const typesFetched = new Set<string>();
    this.load = cachedLoader(async (url) => {
      const res = await fetch(new URL(url, baseOrigin), { credentials: 'omit' });
      const text = await res.text();
      if (!res.ok) throw new Error(text.slice(0, 500) || `HTTP ${res.status}`);
      return text;
    });
    this.store.subscribe(({ status }) => {
      for (const item of status?.items ?? []) {
        if (!item.types || !onTypes || typesFetched.has(item.types)) continue;
        typesFetched.add(item.types);
        void fetch(new URL(item.types, baseOrigin), { credentials: 'omit' })
          .then((r) => (r.ok ? (r.json() as Promise<{ files: Record<string, string> }>) : null))
          .then((body) => body && onTypes(body.files))
          .catch(() => typesFetched.delete(item.types!));
      }
    });
    const onStatus = (status: PackagesStatus) => this.store.setState({ status });
    socket.on('packages:status', onStatus);
    this.off.push(() => socket.off('packages:status', onStatus));
    const onFiles = () => {
      if (this.packageJson() === this.requestedFor) return;
      if (this.timer) clearTimeout(this.timer);
      this.timer = setTimeout(() => void this.install(), DEBOUNCE_MS);
    };
    const files = filesOf(doc);
    files.observeDeep(onFiles);
    this.off.push(() => files.unobserveDeep(onFiles));
    void this.install();
  }

  private packageJson(): string {
    return filesOf(this.doc).get('package.json')?.toString() ?? '';
  }

  /** Resolves the current package.json (sharing a request already made for the same text). */
  install(): Promise<PackagesStatus | null> {
    const text = this.packageJson();
    if (this.pending && this.requestedFor === text) return this.pending;
    this.requestedFor = text;
    if (text === '' || !/"(dev)?[dD]ependencies"/.test(text)) {
      const empty: PackagesStatus = { items: [], resolving: false };
      this.store.setState({ status: empty });
      return (this.pending = Promise.resolve(empty));
    }
    const p = new Promise<PackagesStatus | null>((resolve) => {
      this.socket.emit('packages:install', {}, (res: Response<PackagesStatus>) => {
        if (res.ok) {
          this.store.setState({ status: res.data });
          resolve(res.data);
        } else {
          // Not cached: the next change or run asks again. Before the join completes, ask again shortly.
          if (this.pending === p) this.requestedFor = null;
          if (res.error.code === 'notJoined' && this.retries++ < 40) {
            setTimeout(() => resolve(this.install()), 250);
            return;
          }
          const status: PackagesStatus = { items: [], resolving: false, error: { code: res.error.code, message: res.error.message } };
          this.store.setState({ status });
          resolve(status);
        }
      });
    });
    this.pending = p;
    return p;
  }

  /** What the bundler needs, once the current package.json is resolved. */
  async sources(): Promise<PackageSources> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    const status = (await this.install()) ?? { items: [], resolving: false };
    return {
      urls: Object.fromEntries(status.items.filter((i) => i.status === 'ready' && i.url).map((i) => [i.name, i.url!])),
      errors: Object.fromEntries(status.items.filter((i) => i.error).map((i) => [i.name, i.error!.message])),
      load: this.load,
    };
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const f of this.off) f();
  }
}
