import {
  DATA_CACHE_NAME,
  MANIFEST_GLOBAL,
  OFFLINE_COPY_HEADER,
  appCacheName,
  isStorableData,
  requestKind,
  staleCacheNames,
  type OfflineManifest,
} from './policy.ts';

/**
 * The service worker (built as sw.js next to index.html, so its scope is the site's folder,
 * whatever sub-path that is): after the first visit the page, its scripts and the data files it
 * fetched open and train without a network.
 *
 * - install: caches every file of this build (the manifest the build writes in) under a name
 *   with the build's hash;
 * - activate: deletes the caches of older builds and takes control of open pages at once, so
 *   that the data fetched on the first visit is kept too;
 * - fetch: the page from the network, else from the cache; the build's files from the cache;
 *   the data files from their own cache (kept across deploys), else from the network and then
 *   kept. Everything else, the data mirror included, is left to the browser (the data loader
 *   keeps the mirror's files itself).
 *
 * A new deploy's worker waits until every tab of the old one is closed (no skipWaiting), so an
 * open page never loses the files of its own version; a reload while online gets the new page
 * from the network anyway.
 */

/** The parts of ServiceWorkerGlobalScope used here (the app's lib is DOM, not WebWorker). */
interface LifecycleEvent extends Event {
  waitUntil(work: Promise<unknown>): void;
}
interface RequestEvent extends LifecycleEvent {
  readonly request: Request;
  respondWith(response: Promise<Response>): void;
}
interface ServiceWorkerScope {
  readonly location: { href: string };
  readonly clients: { claim(): Promise<void> };
  readonly [MANIFEST_GLOBAL]?: OfflineManifest;
  addEventListener(type: 'install' | 'activate', listener: (event: LifecycleEvent) => void): void;
  addEventListener(type: 'fetch', listener: (event: RequestEvent) => void): void;
}

const scope = self as unknown as ServiceWorkerScope;
const manifest = builtManifest();
/** The site's root folder: where sw.js is. */
const siteUrl = new URL('./', scope.location.href).href;
const appCache = appCacheName(manifest.version);
const indexUrl = new URL('index.html', siteUrl).href;

scope.addEventListener('install', (event) => {
  event.waitUntil(precache());
});

scope.addEventListener('activate', (event) => {
  event.waitUntil(activate());
});

scope.addEventListener('fetch', (event) => {
  const { request } = event;
  switch (requestKind(request, siteUrl, manifest)) {
    case 'page':
      event.respondWith(networkThenCachedPage(request));
      break;
    case 'asset':
      event.respondWith(cachedThenNetwork(request));
      break;
    case 'data':
      event.respondWith(cachedDataThenNetwork(request, event));
      break;
    case 'pass':
      break;
  }
});

function builtManifest(): OfflineManifest {
  const built = scope[MANIFEST_GLOBAL];
  if (built === undefined) {
    throw new Error(
      `sw.js has no ${MANIFEST_GLOBAL}; the build writes it (vite-plugins/serviceWorker.ts)`,
    );
  }
  return built;
}

async function precache(): Promise<void> {
  const cache = await caches.open(appCache);
  // Revalidated with the server, so an HTTP-cached index.html of an older deploy is not kept.
  await cache.addAll(
    manifest.precache.map((path) => new Request(new URL(path, siteUrl), { cache: 'no-cache' })),
  );
}

async function activate(): Promise<void> {
  const stale = staleCacheNames(await caches.keys(), manifest.version);
  await Promise.all(stale.map((name) => caches.delete(name)));
  // Control the page of the first visit (and its training worker) without a reload.
  await scope.clients.claim();
}

async function networkThenCachedPage(request: Request): Promise<Response> {
  try {
    return await fetch(request);
  } catch (error) {
    const cached = await caches.match(indexUrl, { cacheName: appCache });
    if (cached) return cached;
    throw error;
  }
}

async function cachedThenNetwork(request: Request): Promise<Response> {
  const cached = await caches.match(request.url, { cacheName: appCache, ignoreSearch: true });
  return cached ?? fetch(request);
}

async function cachedDataThenNetwork(request: Request, event: LifecycleEvent): Promise<Response> {
  const key = new URL(request.url);
  key.search = '';
  const cache = await openOrNull(DATA_CACHE_NAME);
  const cached = await cache?.match(key.href).catch(() => undefined);
  if (cached) {
    const headers = new Headers(cached.headers);
    headers.set(OFFLINE_COPY_HEADER, '1');
    return new Response(cached.body, {
      status: cached.status,
      statusText: cached.statusText,
      headers,
    });
  }
  const response = await fetch(request);
  if (cache && isStorableData(response)) {
    // Kept only once the whole body has arrived; a broken download stores nothing.
    event.waitUntil(cache.put(key.href, response.clone()).catch(() => {}));
  }
  return response;
}

/** Cache Storage can be refused (storage disabled, quota): the data then simply is not kept. */
async function openOrNull(name: string): Promise<Cache | null> {
  try {
    return await caches.open(name);
  } catch {
    return null;
  }
}
