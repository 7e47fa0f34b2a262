import { createContext, useContext, useSyncExternalStore } from 'react';
import type { SessionState, SessionStore } from '../session/store.ts';

/**
 * React's view of the session store: components read the slices they show with a selector and
 * re-render only when that slice changes (by identity), and call the store's methods directly.
 *
 * React renders an external store's changes synchronously, in the task that made them (they
 * cannot be transitions). So React hears of a change that can wait (ChangeUrgency 'soon': a
 * worker's message, a run's start) in a task of its own: the store folds the message in one
 * task, React renders in the next, and the messages that arrive together (an epoch's end sends
 * several) make one render. The person's edits are rendered at once: a controlled input (a
 * run's checkbox, a field) must show its new value in the event's own task, or React puts the
 * old one back.
 */

export const SessionContext = createContext<SessionStore | null>(null);

/** The page's session store (from SessionContext). */
export function useSessionStore(): SessionStore {
  const store = useContext(SessionContext);
  if (store === null) throw new Error('useSession outside a SessionContext provider');
  return store;
}

type Subscribe = (onChange: () => void) => () => void;
const deferredSubscribes = new WeakMap<SessionStore, Subscribe>();

/** `store.subscribe`, with changes that can wait told to React together in a task of their own. */
function deferredSubscribe(store: SessionStore): Subscribe {
  const known = deferredSubscribes.get(store);
  if (known !== undefined) return known;
  const listeners = new Set<() => void>();
  const channel = new MessageChannel();
  let scheduled = false;
  const tellReact = () => {
    for (const listener of listeners) listener();
  };
  channel.port1.onmessage = () => {
    scheduled = false;
    tellReact();
  };
  store.subscribe((urgency) => {
    // A render already scheduled still runs; it finds nothing new and React skips it.
    if (urgency === 'now') tellReact();
    else if (!scheduled) {
      scheduled = true;
      channel.port2.postMessage(null);
    }
  });
  const subscribe: Subscribe = (onChange) => {
    listeners.add(onChange);
    return () => listeners.delete(onChange);
  };
  deferredSubscribes.set(store, subscribe);
  return subscribe;
}

/** The slice of the session's state that `selector` picks; selectors must not build new objects. */
export function useSession<T>(selector: (state: SessionState) => T): T {
  const store = useSessionStore();
  return useSyncExternalStore(deferredSubscribe(store), () => selector(store.getState()));
}
