import type { RunRecord } from '../history/runRecord.ts';
import type { RunOwnership } from './persistence.ts';

/**
 * RunOwnership in the page: a Web Lock per run, held by the tab that trains it (the browser
 * lets go when that tab closes or crashes), and a BroadcastChannel on which that tab announces
 * each save of its runs to the other tabs of this origin. Null where either is missing (an
 * insecure context, an old browser): every tab then behaves as if it were the only one.
 */

const LOCK_PREFIX = 'alexnet-playground:run:';
const CHANNEL_NAME = 'alexnet-playground:runs';

function isRecordLike(value: unknown): value is RunRecord {
  // Same-origin tabs only, all running this code; a version from another release may differ.
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { id?: unknown }).id === 'string' &&
    typeof (value as { status?: unknown }).status === 'string'
  );
}

export function browserRunOwnership(): RunOwnership | null {
  const locks = (navigator as Partial<Navigator>).locks;
  if (locks === undefined || typeof BroadcastChannel === 'undefined') return null;
  const channel = new BroadcastChannel(CHANNEL_NAME);
  return {
    hold(id) {
      let release = () => {};
      const released = new Promise<void>((resolve) => {
        release = resolve;
      });
      void locks.request(LOCK_PREFIX + id, () => released);
      return release;
    },
    async heldElsewhere(ids) {
      const { held = [] } = await locks.query();
      const names = new Set(held.map((lock) => lock.name));
      return new Set(ids.filter((id) => names.has(LOCK_PREFIX + id)));
    },
    whenFree(id, onFree) {
      // Granted once no tab holds it; held only for this callback.
      void locks.request(LOCK_PREFIX + id, () => onFree());
    },
    announce(record) {
      channel.postMessage(record);
    },
    listen(onRecord) {
      const onMessage = (event: MessageEvent) => {
        if (isRecordLike(event.data)) onRecord(event.data);
      };
      channel.addEventListener('message', onMessage);
      return () => channel.removeEventListener('message', onMessage);
    },
  };
}
