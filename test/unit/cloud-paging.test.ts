/**
 * Paging and region fan-out (src/core/cloud/paging.ts, regions.ts, endpoint.ts, names.ts).
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { Page } from '../../src/core/cloud/contract';
import { resolveApiEndpoint } from '../../src/core/cloud/endpoint';
import { CloudError, isCloudError } from '../../src/core/cloud/errors';
import { parseResourceName } from '../../src/core/cloud/names';
import { PagedList, listAcrossRegions, listAll, type Pager } from '../../src/core/cloud/paging';
import { VERTEX_REGIONS, aiPlatformHost, parseRegions, vertexHost } from '../../src/core/cloud/regions';
import { UsageError } from '../../src/core/errors';

/** 23 numbers in pages of 5, with the page tokens asked for recorded. */
function numbers(total = 23, size = 5): { pager: Pager<number>; asked: (string | undefined)[] } {
  const asked: (string | undefined)[] = [];
  const pager: Pager<number> = async (token) => {
    asked.push(token);
    const start = token ? Number(token) : 0;
    const page: Page<number> = { items: Array.from({ length: Math.min(size, total - start) }, (_, i) => start + i) };
    if (start + size < total) page.nextPageToken = String(start + size);
    return page;
  };
  return { pager, asked };
}

describe('cloud paging', () => {
  it('listAll follows nextPageToken to the end', async () => {
    const { pager, asked } = numbers();
    const r = await listAll(pager);
    assert.deepEqual(r.items, Array.from({ length: 23 }, (_, i) => i));
    assert.equal(r.truncated, false);
    assert.deepEqual(asked, [undefined, '5', '10', '15', '20']);
  });

  it('listAll stops at maxItems without fetching more pages than needed', async () => {
    const { pager, asked } = numbers();
    const r = await listAll(pager, { maxItems: 7 });
    assert.deepEqual(r.items, [0, 1, 2, 3, 4, 5, 6]);
    assert.equal(r.truncated, true);
    assert.equal(asked.length, 2);
    const exact = await listAll(numbers().pager, { maxItems: 10 });
    assert.equal(exact.items.length, 10);
    assert.equal(exact.truncated, true);
  });

  it('listAll refuses a server that sends the same page token again', async () => {
    const loop: Pager<number> = async () => ({ items: [1], nextPageToken: 'same' });
    await assert.rejects(listAll(loop), (e: unknown) => isCloudError(e, 'bad-response'));
  });

  it('PagedList loads a page per loadMore() and shares a load in progress', async () => {
    const { pager, asked } = numbers(12, 5);
    const list = new PagedList(pager);
    assert.equal(list.hasMore, true);
    const [a, b] = await Promise.all([list.loadMore(), list.loadMore()]);
    assert.deepEqual(a, [0, 1, 2, 3, 4]);
    assert.equal(a, b);
    await list.loadMore();
    assert.equal(list.hasMore, true);
    assert.deepEqual(await list.loadMore(), [10, 11]);
    assert.equal(list.hasMore, false);
    assert.deepEqual(await list.loadMore(), []);
    assert.equal(list.items.length, 12);
    assert.deepEqual(asked, [undefined, '5', '10']);
  });

  it('listAcrossRegions keeps at most `concurrency` calls in flight, returns results in region order, and isolates failures', async () => {
    let inFlight = 0;
    let peak = 0;
    const regions = VERTEX_REGIONS.slice(0, 12);
    const results = await listAcrossRegions(
      'demo-project',
      regions,
      async (region) => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        await new Promise((r) => setTimeout(r, 5 + (region.length % 3) * 5));
        inFlight--;
        if (region === 'us-east4') throw new CloudError('permission-denied', 'no');
        return region.toUpperCase();
      },
      { concurrency: 4 },
    );
    assert.equal(peak, 4);
    assert.deepEqual(results.map((r) => r.region), regions);
    for (const r of results) {
      if (r.region === 'us-east4') assert.ok(isCloudError(r.error, 'permission-denied'));
      else assert.equal(r.value, r.region.toUpperCase());
    }
  });

  it('listAcrossRegions stops starting calls when cancelled and rejects with cancelled', async () => {
    const ac = new AbortController();
    let started = 0;
    const p = listAcrossRegions('p', VERTEX_REGIONS, async (_r, signal) => {
      started++;
      await new Promise((r) => setTimeout(r, 20));
      if (signal?.aborted) throw new CloudError('cancelled', 'stop');
      return 1;
    }, { concurrency: 3, signal: ac.signal });
    setTimeout(() => ac.abort(), 30);
    await assert.rejects(p, (e: unknown) => isCloudError(e, 'cancelled'));
    assert.ok(started <= 6, `started ${started}`);
  });
});

describe('cloud regions, names and endpoint overrides', () => {
  it('parses --region lists and "all"', () => {
    assert.deepEqual(parseRegions('us-central1'), ['us-central1']);
    assert.deepEqual(parseRegions('us-central1, europe-west4,us-central1'), ['us-central1', 'europe-west4']);
    assert.deepEqual(parseRegions('all'), [...VERTEX_REGIONS]);
    assert.ok(VERTEX_REGIONS.length >= 30 && VERTEX_REGIONS.includes('europe-west4') && VERTEX_REGIONS.includes('asia-northeast1'));
    assert.throws(() => parseRegions('us-central1/../x'), UsageError);
    assert.throws(() => parseRegions(''), UsageError);
    assert.equal(vertexHost('europe-west4'), 'https://europe-west4-aiplatform.googleapis.com');
    assert.equal(aiPlatformHost(), 'https://ml.googleapis.com');
    assert.equal(aiPlatformHost('us-central1'), 'https://us-central1-ml.googleapis.com');
    assert.throws(() => vertexHost('evil.com/x'), UsageError);
  });

  it('checks resource names before they become URL paths', () => {
    assert.deepEqual(parseResourceName('projects/demo-project/locations/us-central1/endpoints/123', 'location', ['endpoints'], 'endpoint'), {
      project: 'demo-project',
      location: 'us-central1',
      ids: ['123'],
    });
    assert.deepEqual(parseResourceName('projects/p1/models/m/versions/v1', 'project', ['models', 'versions'], 'version').ids, ['m', 'v1']);
    assert.equal(parseResourceName('projects/p1/locations/us-central1/models/42@2', 'location', ['models'], 'model').ids[0], '42@2');
    for (const bad of ['projects/p/locations/us-central1/endpoints/../../x', 'projects/p/locations/us-central1/models/1', 'projects/p/locations/us-central1/endpoints/1/extra', 'https://evil/projects/p']) {
      assert.throws(() => parseResourceName(bad, 'location', ['endpoints'], 'endpoint'), UsageError, bad);
    }
  });

  it('resolveApiEndpoint: setting before SERVELENS_API_ENDPOINT; plain http only to loopback', () => {
    assert.equal(resolveApiEndpoint({ env: {} }), undefined);
    assert.deepEqual(resolveApiEndpoint({ setting: 'http://127.0.0.1:8123/', env: { SERVELENS_API_ENDPOINT: 'https://x.example.com' } }), { url: 'http://127.0.0.1:8123', source: 'setting' });
    assert.deepEqual(resolveApiEndpoint({ env: { SERVELENS_API_ENDPOINT: 'https://private.example.com/base/' } }), { url: 'https://private.example.com/base', source: 'env' });
    assert.deepEqual(resolveApiEndpoint({ setting: 'http://localhost:9000' }), { url: 'http://localhost:9000', source: 'setting' });
    for (const bad of ['http://10.0.0.5:8080', 'ftp://127.0.0.1', 'not a url', 'https://user:pw@example.com', 'https://example.com/?key=1']) {
      assert.throws(() => resolveApiEndpoint({ setting: bad }), (e: unknown) => isCloudError(e, 'invalid-endpoint'), bad);
    }
  });
});
