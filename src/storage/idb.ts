/**
 * Promises over IndexedDB's event-based requests and transactions, and the sentence a storage
 * failure is reported with. The bottom of the storage layer: it knows no record type (the run
 * history's store is history/runStore.ts; the checkpoints' is checkpointStore.ts).
 */

export function promised<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('IndexedDB request failed'));
  });
}

/** Resolves when the transaction commits; rejects with its error (e.g. QuotaExceededError). */
export function completed(transaction: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    transaction.oncomplete = () => resolve();
    transaction.onerror = () => reject(transaction.error ?? new Error('IndexedDB write failed'));
    transaction.onabort = () =>
      reject(transaction.error ?? new Error('IndexedDB transaction aborted'));
  });
}

/** A person-readable sentence for a storage failure, naming the cause when it is known. */
export function storageErrorMessage(action: string, error: unknown): string {
  const name = error instanceof DOMException ? error.name : null;
  const detail = error instanceof Error ? error.message : String(error);
  if (name === 'QuotaExceededError') {
    return (
      `Could not ${action}: the browser's storage for this site is full. ` +
      `Training still works; delete or export old runs to make room.`
    );
  }
  return `Could not ${action} (${name ?? 'error'}: ${detail}). Training still works.`;
}
