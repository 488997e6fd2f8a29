import { createContext, useContext, useMemo, useState, type ReactNode } from 'react';
import type { InstanceInfo } from './types.ts';
import { useInstance } from './use-instance.ts';

/**
 * Which instance this is, for the header on every screen. Read once when the app opens; the start page reports each
 * ready health answer, so a server that was still starting is asked again once its database answers.
 */
interface InstanceState {
  instance: InstanceInfo | undefined;
  reportDatabaseReady(at: number): void;
}

const InstanceContext = createContext<InstanceState>({ instance: undefined, reportDatabaseReady: () => undefined });

export function InstanceProvider({ children }: { children: ReactNode }) {
  const [readyAt, setReadyAt] = useState(() => Date.now());
  const instance = useInstance(readyAt);
  const value = useMemo(() => ({ instance, reportDatabaseReady: setReadyAt }), [instance]);
  return <InstanceContext.Provider value={value}>{children}</InstanceContext.Provider>;
}

export function useInstanceContext(): InstanceState {
  return useContext(InstanceContext);
}
