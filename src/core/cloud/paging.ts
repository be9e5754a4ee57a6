/**
 * Paging (`nextPageToken`) and listing across regions with a bounded number of calls in flight.
 *
 *   const all = await listAll((pageToken) => vertex.listEndpoints(project, region, { pageToken }), { maxItems: 500 });
 *   const list = new PagedList((pageToken, signal) => vertex.listModels(project, region, { pageToken, signal }));
 *   await list.loadMore();   // first page; again for "Load more" while list.hasMore
 *   const perRegion = await listAcrossRegions(project, regions, (region, signal) => ..., { concurrency: 6 });
 */
import type { Page } from './contract';
import { CloudError, isCloudError } from './errors';

/**
 * A list answer (`{"<key>": [...], "nextPageToken": "..."}`; Google sends `{}` for an empty list)
 * as a Page. CloudError 'bad-response' when `key` holds something other than an array.
 */
export function pageFrom<T>(body: Record<string, unknown>, key: string, service: string): Page<T> {
  const items = body[key];
  if (items !== undefined && !Array.isArray(items))
    throw new CloudError('bad-response', `${service}: the list answer's "${key}" is not an array.`, 'Check the API endpoint override.');
  const page: Page<T> = { items: (items as T[] | undefined) ?? [] };
  if (typeof body.nextPageToken === 'string' && body.nextPageToken) page.nextPageToken = body.nextPageToken;
  return page;
}

/** Fetches one page; `pageToken` undefined for the first. */
export type Pager<T> = (pageToken: string | undefined, signal?: AbortSignal) => Promise<Page<T>>;

export interface ListAllOptions {
  /** Stop once this many items are collected (the result is cut to it). */
  maxItems?: number;
  /** Stop after this many pages (default 1000: a guard against a server that never ends). */
  maxPages?: number;
  signal?: AbortSignal;
}

export interface ListAllResult<T> {
  items: T[];
  /** True when maxItems or maxPages stopped the listing before the last page. */
  truncated: boolean;
}

/** Follows `nextPageToken` to the end (or to maxItems / maxPages). */
export async function listAll<T>(pager: Pager<T>, opts: ListAllOptions = {}): Promise<ListAllResult<T>> {
  const maxItems = opts.maxItems ?? Infinity;
  const maxPages = opts.maxPages ?? 1000;
  const items: T[] = [];
  let token: string | undefined;
  for (let pages = 0; ; ) {
    const page = await pager(token, opts.signal);
    pages++;
    for (const item of page.items) {
      if (items.length >= maxItems) return { items, truncated: true };
      items.push(item);
    }
    const next = page.nextPageToken || undefined;
    if (!next) return { items, truncated: false };
    if (next === token) throw new CloudError('bad-response', 'The server sent the same page token twice; the listing stopped there.', 'Refresh; if it repeats, the service or the API endpoint override misbehaves.');
    if (items.length >= maxItems || pages >= maxPages) return { items, truncated: true };
    token = next;
  }
}

/**
 * A list shown page by page ("Load more" in the trees). Not re-entrant: a `loadMore()` while one
 * runs returns the same promise.
 */
export class PagedList<T> {
  readonly items: T[] = [];
  #token: string | undefined;
  #done = false;
  #pending?: Promise<T[]>;
  readonly #pager: Pager<T>;

  constructor(pager: Pager<T>) {
    this.#pager = pager;
  }

  /** Whether a page is left to load (true before the first load). */
  get hasMore(): boolean {
    return !this.#done;
  }

  /** Loads the next page and returns its items (also appended to `items`). */
  loadMore(signal?: AbortSignal): Promise<T[]> {
    if (this.#done) return Promise.resolve([]);
    this.#pending ??= (async () => {
      try {
        const page = await this.#pager(this.#token, signal);
        this.items.push(...page.items);
        const next = page.nextPageToken || undefined;
        this.#done = !next || next === this.#token;
        this.#token = next;
        return page.items;
      } finally {
        this.#pending = undefined;
      }
    })();
    return this.#pending;
  }
}

export interface RegionResult<T> {
  region: string;
  /** Set when the call succeeded. */
  value?: T;
  /** Set when it failed (the other regions still finish). */
  error?: unknown;
}

export interface AcrossRegionsOptions {
  /** Calls in flight at most (default 6). */
  concurrency?: number;
  signal?: AbortSignal;
}

/**
 * Runs `fn` once per region, at most `concurrency` at a time, and returns one result per region in
 * the order given. A failing region does not stop the others; cancellation stops starting new ones
 * and rejects with a 'cancelled' CloudError.
 */
export async function listAcrossRegions<T>(
  project: string,
  regions: readonly string[],
  fn: (region: string, signal: AbortSignal | undefined, project: string) => Promise<T>,
  opts: AcrossRegionsOptions = {},
): Promise<RegionResult<T>[]> {
  const concurrency = Math.max(1, Math.floor(opts.concurrency ?? 6));
  const results: RegionResult<T>[] = regions.map((region) => ({ region }));
  let next = 0;
  const worker = async () => {
    while (next < regions.length) {
      if (opts.signal?.aborted) return;
      const i = next++;
      try {
        results[i]!.value = await fn(regions[i]!, opts.signal, project);
      } catch (err) {
        results[i]!.error = err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, regions.length) }, worker));
  if (opts.signal?.aborted || results.some((r) => isCloudError(r.error, 'cancelled')))
    throw new CloudError('cancelled', `Listing ${regions.length} regions of ${project} was cancelled.`);
  return results;
}
