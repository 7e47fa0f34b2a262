/**
 * The service worker's rules (serviceWorker.ts), pure so that they run in Node: which requests
 * it answers and how, and which caches a new version removes.
 *
 * Only the service worker imports this module. A module the page imported too would become a
 * chunk both load, and a service worker registered as a classic script cannot import one.
 */

/** What the build writes into the service worker (vite-plugins/serviceWorker.ts). */
export interface OfflineManifest {
  /** A hash of the precached files: a new deploy gets a new cache, and the old one goes. */
  version: string;
  /** The site's files, relative to the service worker's folder (the site's root). */
  precache: string[];
  /** The data files' folder, relative to the site's root: 'data/fashion-mnist/'. */
  dataPath: string;
}

/** The global the build sets before the service worker's code runs. */
export const MANIFEST_GLOBAL = '__OFFLINE_MANIFEST__';

export const APP_CACHE_PREFIX = 'alexnet-playground-app-';
/** The data files outlive deploys (they are the same files whatever the version). */
export const DATA_CACHE_NAME = 'alexnet-playground-data-v1';
/**
 * Set on a data file answered from DATA_CACHE_NAME; src/data/fashionMnist.ts (whose
 * OFFLINE_COPY_HEADER has this name, checked by a test) then says it came from this browser.
 */
export const OFFLINE_COPY_HEADER = 'X-Offline-Copy';

export function appCacheName(version: string): string {
  return `${APP_CACHE_PREFIX}${version}`;
}

/** The app caches of other versions: what activating `version` deletes. */
export function staleCacheNames(names: readonly string[], version: string): string[] {
  const current = appCacheName(version);
  return names.filter((name) => name.startsWith(APP_CACHE_PREFIX) && name !== current);
}

/**
 * How the service worker answers a request:
 * - 'page': the page itself (a navigation to the site's folder or its index.html): the network,
 *   else the precached index.html, so that a new deploy is seen at once when online;
 * - 'asset': a precached file (scripts, styles, icon): from the cache, else the network;
 * - 'data': a file in the data folder: from the data cache, else the network (and then cached);
 * - 'pass': anything else (other origins such as the data mirror, other paths, not GET): not
 *   answered, so the browser fetches it as if there were no service worker.
 */
export type RequestKind = 'page' | 'asset' | 'data' | 'pass';

export interface RequestFacts {
  method: string;
  url: string;
  mode: string;
}

/** `siteUrl` is the site's root folder (the service worker's), e.g. https://host/alexnet/. */
export function requestKind(
  request: RequestFacts,
  siteUrl: string,
  manifest: Pick<OfflineManifest, 'precache' | 'dataPath'>,
): RequestKind {
  if (request.method !== 'GET') return 'pass';
  const path = sitePath(request.url, siteUrl);
  if (path === null) return 'pass';
  if (request.mode === 'navigate') {
    return path === '' || path === 'index.html' ? 'page' : 'pass';
  }
  if (manifest.precache.includes(path)) return 'asset';
  if (path.startsWith(manifest.dataPath) && path.length > manifest.dataPath.length) return 'data';
  return 'pass';
}

/** The URL's path relative to the site's root, without query; null when outside the site. */
export function sitePath(url: string, siteUrl: string): string | null {
  const target = new URL(url);
  const site = new URL(siteUrl);
  if (target.origin !== site.origin || !target.pathname.startsWith(site.pathname)) return null;
  try {
    return decodeURI(target.pathname.slice(site.pathname.length));
  } catch {
    return null; // a malformed escape: not one of the site's files
  }
}

/**
 * Whether a network answer for a data file may be kept: complete (200), from this origin, and
 * not an HTML page (a server's fallback page where the file is missing).
 */
export function isStorableData(response: {
  status: number;
  type: string;
  headers: { get(name: string): string | null };
}): boolean {
  const contentType = response.headers.get('content-type') ?? '';
  return (
    response.status === 200 &&
    (response.type === 'basic' || response.type === 'default') &&
    !/^\s*(text\/html|application\/xhtml\+xml)\b/i.test(contentType)
  );
}
