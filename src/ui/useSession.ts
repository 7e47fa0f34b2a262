import { createContext, useContext, useDeferredValue, useSyncExternalStore } from 'react';
import type { SessionState, SessionStore } from '../session/store.ts';

/**
 * React's view of the session store: components read the slices they show with a selector and
 * re-render only when that slice changes (by identity), and call the store's methods directly.
 *
 * useSyncExternalStore renders a store change synchronously, in one task, which at a run's start
 * (every panel changes) measured 28 ms of CPU, over the page's budget (e2e/mainThread.spec.ts).
 * So each slice is read through useDeferredValue: the synchronous render sees the previous slice
 * and bails out at once, and React renders the new one as a transition, in slices of a few
 * milliseconds that yield to input and to the worker's next message (issue #5).
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
  return useDeferredValue(useSyncExternalStore(store.subscribe, () => selector(store.getState())));
}
