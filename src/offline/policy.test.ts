import { describe, expect, it } from 'vitest';
import { OFFLINE_COPY_HEADER as LOADER_HEADER } from '../data/fashionMnist.ts';
import {
  APP_CACHE_PREFIX,
  DATA_CACHE_NAME,
  OFFLINE_COPY_HEADER,
  appCacheName,
  isStorableData,
  requestKind,
  sitePath,
  staleCacheNames,
} from './policy.ts';

const SITE = 'https://example.org/alexnet/';
const MANIFEST = {
  precache: ['index.html', 'favicon.svg', 'assets/index-abc.js', 'assets/worker-def.js'],
  dataPath: 'data/fashion-mnist/',
};
const get = (url: string, mode = 'cors') => ({ method: 'GET', url, mode });

describe('requestKind', () => {
  it('answers the page from the network first, for the site’s folder and index.html only', () => {
    expect(requestKind(get(SITE, 'navigate'), SITE, MANIFEST)).toBe('page');
    expect(requestKind(get(`${SITE}?size=65&lr=0.1`, 'navigate'), SITE, MANIFEST)).toBe('page');
    expect(requestKind(get(`${SITE}index.html#x`, 'navigate'), SITE, MANIFEST)).toBe('page');
    // Opening a file of the site as a page, or another site on the same host: not ours.
    expect(requestKind(get(`${SITE}favicon.svg`, 'navigate'), SITE, MANIFEST)).toBe('pass');
    expect(requestKind(get('https://example.org/other/', 'navigate'), SITE, MANIFEST)).toBe('pass');
  });

  it('answers the build’s files from the precache, the data files from the data cache', () => {
    expect(requestKind(get(`${SITE}assets/worker-def.js`), SITE, MANIFEST)).toBe('asset');
    expect(requestKind(get(`${SITE}favicon.svg`, 'no-cors'), SITE, MANIFEST)).toBe('asset');
    expect(
      requestKind(get(`${SITE}data/fashion-mnist/train-images-idx3-ubyte.gz`), SITE, MANIFEST),
    ).toBe('data');
    expect(requestKind(get(`${SITE}data/fashion-mnist/`), SITE, MANIFEST)).toBe('pass');
  });

  it('leaves other origins (the data mirror), other files and other methods to the browser', () => {
    const mirror =
      'https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/' +
      't10k-labels-idx1-ubyte.gz';
    expect(requestKind(get(mirror), SITE, MANIFEST)).toBe('pass');
    expect(requestKind(get(`${SITE}assets/worker-old.js`), SITE, MANIFEST)).toBe('pass');
    expect(requestKind(get('https://example.org/data/fashion-mnist/x.gz'), SITE, MANIFEST)).toBe(
      'pass',
    );
    expect(
      requestKind({ method: 'POST', url: `${SITE}index.html`, mode: 'cors' }, SITE, MANIFEST),
    ).toBe('pass');
  });

  it('works at the root of a host too', () => {
    const root = 'http://localhost:4173/';
    expect(requestKind(get(root, 'navigate'), root, MANIFEST)).toBe('page');
    expect(requestKind(get(`${root}assets/index-abc.js`), root, MANIFEST)).toBe('asset');
  });
});

describe('sitePath', () => {
  it('is the path under the site’s folder without the query, or null outside it', () => {
    expect(sitePath(`${SITE}assets/a.js?v=1`, SITE)).toBe('assets/a.js');
    expect(sitePath(`${SITE}a%20b.js`, SITE)).toBe('a b.js');
    expect(sitePath(`${SITE}%E0%A4%A`, SITE)).toBeNull();
    expect(sitePath('https://example.org/alexnet', SITE)).toBeNull();
    expect(sitePath('http://example.org/alexnet/', SITE)).toBeNull();
  });
});

describe('caches', () => {
  it('deletes the app caches of other builds only', () => {
    const names = [
      appCacheName('old1'),
      appCacheName('new2'),
      DATA_CACHE_NAME,
      'fashion-mnist-v1',
      'someone-else',
    ];
    expect(staleCacheNames(names, 'new2')).toEqual([appCacheName('old1')]);
    expect(appCacheName('new2').startsWith(APP_CACHE_PREFIX)).toBe(true);
    expect(DATA_CACHE_NAME.startsWith(APP_CACHE_PREFIX)).toBe(false);
  });

  it('keeps only complete, same-origin data answers that are not HTML pages', () => {
    const answer = (status: number, type: string, contentType: string | null) => ({
      status,
      type,
      headers: new Headers(contentType === null ? {} : { 'content-type': contentType }),
    });
    expect(isStorableData(answer(200, 'basic', 'application/octet-stream'))).toBe(true);
    expect(isStorableData(answer(200, 'basic', null))).toBe(true);
    expect(isStorableData(answer(404, 'basic', 'text/plain'))).toBe(false);
    expect(isStorableData(answer(206, 'basic', 'application/octet-stream'))).toBe(false);
    expect(isStorableData(answer(200, 'basic', 'text/html; charset=utf-8'))).toBe(false);
    expect(isStorableData(answer(200, 'opaque', null))).toBe(false);
  });

  it('marks offline copies with the header name the data loader looks for', () => {
    expect(OFFLINE_COPY_HEADER).toBe(LOADER_HEADER);
  });
});
