'use client';
import { createContext, useContext, useEffect, useRef } from 'react';
import type { CommandBus, CommandId } from '@/lib/client/commands';

/** The workspace's CommandBus, provided by components/command-provider.tsx. */
export const BusContext = createContext<CommandBus | null>(null);

export function useCommandBus(): CommandBus {
  const bus = useContext(BusContext);
  if (!bus) throw new Error('useCommandBus outside <CommandProvider>');
  return bus;
}

/** Registers `run` as the handler of `id` while the component is mounted (always its latest `run`). */
export function useCommand(id: CommandId, run: () => void): void {
  const bus = useContext(BusContext);
  const latest = useRef(run);
  latest.current = run;
  useEffect(() => bus?.on(id, () => latest.current()), [bus, id]);
}

