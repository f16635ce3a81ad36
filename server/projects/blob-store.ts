import { createHash } from 'node:crypto';
import type { Storage } from '../storage/storage';

/**
 * Binary files of imported projects, content-addressed (SHA-256 of the bytes) and kept outside
 * the Yjs document, which only names them (lib/workspace/project-doc.ts). With storage they are
 * rows of `blobs`; without (unit tests) they live in memory.
 */
export interface BlobStore {
  put(bytes: Uint8Array): Promise<string>;
  get(sha256: string): Promise<Uint8Array | null>;
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function blobStore(storage?: Storage): BlobStore {
  if (!storage) {
    const mem = new Map<string, Uint8Array>();
    return {
      put: async (bytes) => {
        const sha = sha256Hex(bytes);
        mem.set(sha, new Uint8Array(bytes));
        return sha;
      },
      get: async (sha) => mem.get(sha) ?? null,
    };
  }
  return {
    put: async (bytes) => {
      const sha = sha256Hex(bytes);
      await storage.blobs.put(sha, bytes);
      return sha;
    },
    get: (sha) => storage.blobs.get(sha),
  };
}
