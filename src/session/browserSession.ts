import { deleteCheckpoint, listCheckpoints, recordIdOf } from '../storage/checkpointStore.ts';
import { openRunStore } from '../history/runStore.ts';
import { downloadBinary, downloadText } from '../browser/download.ts';
import { TrainerClient } from '../worker/client.ts';
import { browserRunOwnership } from './browserRunOwnership.ts';
import { attachPersistence } from './persistence.ts';
import { SessionStore } from './store.ts';

/**
 * The session as the page runs it: the store on a real worker (TrainerClient), browser
 * downloads, IndexedDB and localStorage persistence, the pagehide snapshot, and which tab trains
 * which run (browserRunOwnership.ts). These two are the only modules of session/ that touch the
 * browser; the store and persistence get them injected.
 */

function localStorageOrNull(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null; // blocked by the browser's settings
  }
}

export function createBrowserSession(): SessionStore {
  const session = new SessionStore({
    createWorker: (onMessage) => new TrainerClient(onMessage),
    saveFile: (fileName, contents, mimeType) => {
      if (typeof contents === 'string') downloadText(fileName, contents, mimeType);
      else downloadBinary(fileName, contents);
    },
  });
  const persistence = attachPersistence(session, {
    openRunStore: (onClosedForNewerPage) => openRunStore(indexedDB, onClosedForNewerPage),
    listCheckpoints,
    deleteCheckpoint,
    recordIdOf,
    snapshotStorage: localStorageOrNull(),
    ownership: browserRunOwnership(),
  });
  window.addEventListener('pagehide', persistence.onPageHide);
  return session;
}
