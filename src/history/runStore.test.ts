import { describe, expect, it } from 'vitest';
import { makeRecord } from '../../test/fixtures/runRecords.ts';
import { storageErrorMessage } from '../storage/idb.ts';
import { MemoryRunStore, openRunStore } from './runStore.ts';

/**
 * IndexedDB itself is exercised in real Chromium (e2e/history.spec.ts); here, the fallbacks when
 * it is missing or refuses, provoked with factories that fail.
 */
describe('run store', () => {
  it('falls back to memory, saying why, when there is no IndexedDB', async () => {
    const { store, problem } = await openRunStore(undefined);
    expect(store.kind).toBe('memory');
    expect(problem).toMatch(/no IndexedDB here, so runs are kept only until the page closes/);
  });

  it('falls back to memory when opening is refused (private mode, blocked storage)', async () => {
    const refusing = {
      open: () => {
        throw new DOMException(
          'The user denied permission to access the database.',
          'SecurityError',
        );
      },
    } as unknown as IDBFactory;
    const { store, problem } = await openRunStore(refusing);
    expect(store.kind).toBe('memory');
    expect(problem).toMatch(/Could not open the run history \(SecurityError: .*denied/);
    expect(problem).toMatch(/Training still works.*kept only until the page closes/);
  });

  it('explains a full disk in plain words', () => {
    const full = new DOMException('quota', 'QuotaExceededError');
    expect(storageErrorMessage('save a run', full)).toBe(
      "Could not save a run: the browser's storage for this site is full. " +
        'Training still works; delete or export old runs to make room.',
    );
  });

  it('keeps copies in memory, so later changes to a record do not leak in', async () => {
    const store = new MemoryRunStore();
    const record = makeRecord({ id: 'x', name: 'first' });
    await store.put(record);
    record.name = 'changed';
    expect((await store.loadAll()).map((r) => r.name)).toEqual(['first']);
    await store.delete('x');
    expect(await store.loadAll()).toEqual([]);
  });

  it('never replaces a record with one of a lower revision', async () => {
    const store = new MemoryRunStore();
    await store.put(makeRecord({ id: 'a', status: 'done', revision: 5 }));
    // An older version of the run, written late (e.g. by a page that was closing).
    await store.put(makeRecord({ id: 'a', status: 'running', revision: 4 }));
    expect((await store.loadAll()).map((r) => [r.status, r.revision])).toEqual([['done', 5]]);
    await store.put(makeRecord({ id: 'a', status: 'done', name: 'renamed', revision: 6 }));
    expect((await store.loadAll())[0]).toMatchObject({ name: 'renamed', revision: 6 });
    // A record from before revisions counts as revision 0.
    await store.put(makeRecord({ id: 'a', status: 'interrupted' }));
    expect((await store.loadAll())[0].status).toBe('done');
  });
});
