import { describe, expect, it } from 'vitest';
import { MANIFEST_GLOBAL } from '../src/offline/policy.ts';
import { DATA_PATH, offlineManifest, withManifest, type BuiltFile } from './serviceWorker.ts';

const file = (path: string, text = path): BuiltFile => ({
  path,
  bytes: new TextEncoder().encode(text),
});

const BUILD = [
  file('index.html'),
  file('sw.js'),
  file('favicon.svg'),
  file('assets/worker-def.js'),
  file('assets/index-abc.js'),
  file('assets/index-abc.js.map'),
  file('assets/index-abc.css'),
  file('.vite/manifest.json'),
  file('data/fashion-mnist/train-images-idx3-ubyte.gz'),
];

describe('offlineManifest', () => {
  it('precaches the site’s files, sorted, but not the data, the manifest, maps or sw.js', () => {
    const manifest = offlineManifest(BUILD);
    expect(manifest.precache).toEqual([
      'assets/index-abc.css',
      'assets/index-abc.js',
      'assets/worker-def.js',
      'favicon.svg',
      'index.html',
    ]);
    expect(manifest.dataPath).toBe('data/fashion-mnist/');
    expect(DATA_PATH).toBe('data/fashion-mnist/');
    expect(manifest.version).toMatch(/^[0-9a-f]{16}$/);
  });

  it('versions by content: the same files give the same version, any change a new one', () => {
    const { version } = offlineManifest(BUILD);
    expect(offlineManifest([...BUILD].reverse()).version).toBe(version);
    const changed = BUILD.map((f) => (f.path === 'index.html' ? file(f.path, 'new page') : f));
    expect(offlineManifest(changed).version).not.toBe(version);
    const renamed = BUILD.map((f) =>
      f.path === 'assets/index-abc.js' ? file('assets/index-xyz.js', 'assets/index-abc.js') : f,
    );
    expect(offlineManifest(renamed).version).not.toBe(version);
    // Files it does not precache do not change the version.
    expect(
      offlineManifest([...BUILD, file('data/fashion-mnist/t10k-labels-idx1-ubyte.gz')]),
    ).toEqual(offlineManifest(BUILD));
  });
});

describe('withManifest', () => {
  it('sets the manifest before the service worker’s code runs', () => {
    const manifest = offlineManifest(BUILD);
    const code = withManifest('console.log(self.__OFFLINE_MANIFEST__.version);', manifest);
    const logged: unknown[] = [];
    const self: Record<string, unknown> = {};
    new Function('self', 'console', code)(self, { log: (x: unknown) => logged.push(x) });
    expect(self[MANIFEST_GLOBAL]).toEqual(manifest);
    expect(logged).toEqual([manifest.version]);
  });
});
