'use client';
import { createContext, useContext, useEffect, useState } from 'react';
import { useStore } from 'zustand';
import { createIdeStore, type IdeStore, type IdeStoreApi } from '@/lib/stores/ide-store';
import { getSocket } from '@/lib/client/connection';
import { SessionRuntime } from '@/lib/client/session-runtime';
import { followTierStatus } from '@/lib/client/tier-status';
import { loadProfile } from '@/lib/client/profile';

interface SessionContextValue {
  store: IdeStoreApi;
  runtime: SessionRuntime;
}

const SessionContext = createContext<SessionContextValue | null>(null);

/** Creates this session's store and runtime once per mount, and disposes the runtime on unmount. */
export function SessionProvider({ sessionId, token, children }: { sessionId: string; token?: string; children: React.ReactNode }) {
  const [value, setValue] = useState<SessionContextValue | null>(null);
  useEffect(() => {
    const store = createIdeStore();
    const stopTierStatus = followTierStatus(getSocket(), store); // before the runtime joins
    const runtime = new SessionRuntime(getSocket(), store, sessionId, token, loadProfile());
    setValue({ store, runtime });
    return () => {
      stopTierStatus();
      runtime.dispose();
    };
  }, [sessionId, token]);
  if (!value) return null;
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

function useSession(): SessionContextValue {
  const ctx = useContext(SessionContext);
  if (!ctx) throw new Error('useSession outside <SessionProvider>');
  return ctx;
}

export function useIdeStore<T>(selector: (s: IdeStore) => T): T {
  return useStore(useSession().store, selector);
}

export function useRuntime(): SessionRuntime {
  return useSession().runtime;
}
