import { createContext, useContext, useSyncExternalStore } from 'react';
import type { SessionState, SessionStore } from '../session/store.ts';

/**
 * React's view of the session store: components read the slices they show with a selector and
 * re-render only when that slice changes (by identity), and call the store's methods directly.
 */

export const SessionContext = createContext<SessionStore | null>(null);

/** The page's session store (from SessionContext). */
export function useSessionStore(): SessionStore {
  const store = useContext(SessionContext);
  if (store === null) throw new Error('useSession outside a SessionContext provider');
  return store;
}

/** The slice of the session's state that `selector` picks; selectors must not build new objects. */
export function useSession<T>(selector: (state: SessionState) => T): T {
  const store = useSessionStore();
  return useSyncExternalStore(store.subscribe, () => selector(store.getState()));
}
