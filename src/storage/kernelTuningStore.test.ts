import { describe, expect, it } from 'vitest';
import {
  adapterKeyOf,
  browserOf,
  openKernelTuningStore,
  type AdapterIdentity,
  type TunedShapeRecord,
} from './kernelTuningStore.ts';

/**
 * IndexedDB itself is exercised in real Chromium (e2e/kernelTuning.spec.ts: a reload reads the
 * choices back); here, the adapter identity and the fallbacks when IndexedDB is missing or
 * refuses, provoked with factories that fail.
 */

const gpu: AdapterIdentity = {
  vendor: 'nvidia',
  architecture: 'ada',
  device: '',
  description: 'NVIDIA GeForce RTX 4070',
  browser: 'Chrome 131',
  subgroups: false,
};

const record = (adapter: string, shapeKey: string, variant = 'workgroup'): TunedShapeRecord => ({
  adapter,
  shapeKey,
  label: shapeKey,
  variant,
  msByVariant: { register: 2, workgroup: 1 },
  tunedAt: 1,
});

describe('kernel tuning store', () => {
  it('names the browser and its major version, the driver’s stand-in', () => {
    expect(
      browserOf(
        'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) ' +
          'Chrome/131.0.6778.85 Safari/537.36',
      ),
    ).toBe('Chrome 131');
    expect(
      browserOf('Mozilla/5.0 (X11; Linux x86_64; rv:141.0) Gecko/20100101 Firefox/141.0'),
    ).toBe('Firefox 141');
    expect(browserOf('something else')).toBe('something else');
  });

  it('keys an adapter by every part of its identity', () => {
    const keys = new Set([
      adapterKeyOf(gpu),
      adapterKeyOf({ ...gpu, vendor: 'amd' }),
      adapterKeyOf({ ...gpu, architecture: 'ampere' }),
      adapterKeyOf({ ...gpu, device: '0x2786' }),
      adapterKeyOf({ ...gpu, description: 'NVIDIA GeForce RTX 4080' }),
      adapterKeyOf({ ...gpu, browser: 'Chrome 132' }),
      adapterKeyOf({ ...gpu, subgroups: true }),
    ]);
    expect(keys.size).toBe(7);
    expect(adapterKeyOf({ ...gpu })).toBe(adapterKeyOf(gpu));
  });

  it('without IndexedDB keeps the choices in memory, per adapter, and says so', async () => {
    const store = openKernelTuningStore(undefined);
    const a = adapterKeyOf(gpu);
    const b = adapterKeyOf({ ...gpu, browser: 'Chrome 132' });
    await store.save(record(a, 'conv1'));
    await store.save(record(a, 'conv2', 'register'));
    await store.save(record(b, 'conv1', 'subgroup'));
    // A shape tuned again replaces its earlier choice.
    await store.save(record(a, 'conv1', 'subgroup'));
    const loaded = await store.load(a);
    expect(loaded.map((r) => [r.shapeKey, r.variant])).toEqual([
      ['conv1', 'subgroup'],
      ['conv2', 'register'],
    ]);
    expect((await store.load(b)).map((r) => r.variant)).toEqual(['subgroup']);
    expect(await store.load(adapterKeyOf({ ...gpu, vendor: 'amd' }))).toEqual([]);
    expect(store.problem).toBe(
      'Could not open the kernel tuning cache (error: this browser offers no IndexedDB here). ' +
        'Training still works. The kernel choices are kept only until the page closes.',
    );
    // Copies: a change to what was loaded does not reach the store.
    loaded[0].variant = 'register';
    expect((await store.load(a))[0].variant).toBe('subgroup');
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
    const store = openKernelTuningStore(refusing);
    expect(store.problem).toBeNull();
    await store.save(record('gpu', 'conv1'));
    expect((await store.load('gpu')).map((r) => r.shapeKey)).toEqual(['conv1']);
    expect(store.problem).toMatch(
      /^Could not open the kernel tuning cache \(SecurityError: .*denied.*\)\. Training still works\. The kernel choices are kept only until the page closes\.$/,
    );
  });
});
