/**
 * The REST clients against the local emulator (test/emulator): every call of the Vertex AI,
 * AI Platform, TF Serving and Cloud Storage clients, every error class the emulator answers, and
 * every fault it injects — read from its request log, so "not retried" means one request arrived.
 */
import { strict as assert } from 'node:assert';
import { mkdtemp, readFile, rm, writeFile, mkdir, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { AiPlatformClient } from '../../src/core/cloud/aiplatform';
import { AdcSource, FixedTokenSource, type CredentialSource } from '../../src/core/cloud/auth';
import type { VertexBatchPredictionJob } from '../../src/core/cloud/contract';
import { CloudApiError, errorFromStatus, isCloudError, type CloudErrorReason } from '../../src/core/cloud/errors';
import { HttpClient, type HttpClientOptions } from '../../src/core/cloud/http';
import { PagedList, listAcrossRegions, listAll } from '../../src/core/cloud/paging';
import { ArtifactSignatureReader, StorageClient } from '../../src/core/cloud/storage';
import { TfServingClient, signaturesFromMetadata } from '../../src/core/cloud/tfserving';
import { VertexClient, deployedModelsOf } from '../../src/core/cloud/vertex';
import { ModelFormatError, ModelNotFoundError } from '../../src/core/errors';
import { readModel } from '../../src/core/model/inspect';
import { listSignaturesLazy } from '../../src/core/model/lazy';
import type { Signature } from '../../src/core/model/types';
import { startEmulator, type Emulator } from '../emulator/server';
import { SAVEDMODELS, savedModel } from '../helpers/fixtures';

const TOKEN = 'ya29.servelens-test-token';
const PROJECT = 'servelens-demo';
const NUMBER = '123456789012';
const PARENT = `projects/${NUMBER}/locations/us-central1`;

let emu: Emulator;
/** Every error and log line this file produced: grepped for the token at the end. */
const seen: string[] = [];

before(async () => {
  emu = await startEmulator();
});
after(async () => {
  await emu.close();
});
beforeEach(() => {
  emu.reset();
});

function http(opts: HttpClientOptions = {}): HttpClient {
  return new HttpClient({
    credentials: new FixedTokenSource(TOKEN),
    retry: { initialDelayMs: 5, maxDelayMs: 20 },
    log: (l) => seen.push(l),
    ...opts,
  });
}
const vertex = (h = http()) => new VertexClient({ http: h, apiEndpoint: emu.url });
const legacy = (h = http()) => new AiPlatformClient({ http: h, apiEndpoint: emu.url });

/** Requests the emulator received whose path matches. */
const requests = (re: RegExp, method?: string) => emu.requests().filter((r) => re.test(r.path) && (!method || r.method === method));

async function fails(p: Promise<unknown>, reason: CloudErrorReason): Promise<CloudApiError> {
  try {
    await p;
  } catch (err) {
    assert.ok(isCloudError(err), `expected a CloudError, got ${String(err)}`);
    seen.push(err.message, err.hint ?? '', JSON.stringify(err));
    assert.equal(err.reason, reason, err.message);
    return err as CloudApiError;
  }
  assert.fail(`expected ${reason}`);
}

const byName = (sigs: Signature[]) => [...sigs].sort((a, b) => a.name.localeCompare(b.name));

describe('Vertex AI client', () => {
  it('lists endpoints with their deployed models and traffic split; gets one by name', async () => {
    const page = await vertex().listEndpoints(PROJECT, 'us-central1');
    assert.deepEqual(page.items.map((e) => e.displayName), ['half-plus-two-prod', 'half-plus-three-staging', 'empty-endpoint']);
    assert.equal(page.nextPageToken, undefined);
    const prod = page.items[0]!;
    assert.equal(prod.name, `${PARENT}/endpoints/2281564539145093120`);
    assert.deepEqual(deployedModelsOf(prod).map((d) => [d.displayName, d.trafficPercent, d.model]), [
      ['half_plus_two-stable', 90, `${PARENT}/models/4471256745123258368`],
      ['half_plus_two-canary', 10, `${PARENT}/models/4471256745123258368`],
    ]);
    assert.deepEqual(await vertex().getEndpoint(prod.name), prod);
    const [req] = requests(/\/endpoints$/);
    assert.equal(req!.authorization, true);
    assert.match(req!.headers['user-agent']!, /^servelens\/\d/);
  });

  it('pages through 120 endpoints (listAll and PagedList), passing pageToken and filter', async () => {
    const v = vertex();
    const all = await listAll((pageToken) => v.listEndpoints(PROJECT, 'europe-west4', { pageSize: 50, ...(pageToken ? { pageToken } : {}) }));
    assert.equal(all.items.length, 120);
    assert.equal(new Set(all.items.map((e) => e.name)).size, 120);
    const pages = requests(/europe-west4\/endpoints$/);
    assert.equal(pages.length, 3);
    assert.match(pages[1]!.query, /pageToken=/);

    const list = new PagedList((pageToken, signal) => v.listEndpoints(PROJECT, 'europe-west4', { pageSize: 100, ...(pageToken ? { pageToken } : {}), ...(signal ? { signal } : {}) }));
    assert.equal((await list.loadMore()).length, 100);
    assert.equal(list.hasMore, true);
    assert.equal((await list.loadMore()).length, 20);
    assert.equal(list.hasMore, false);

    const filtered = await v.listEndpoints(PROJECT, 'us-central1', { filter: 'labels.env=prod' });
    assert.deepEqual(filtered.items.map((e) => e.displayName), ['half-plus-two-prod']);
  });

  it('lists models at their default version, their versions with aliases, and gets a version by @id', async () => {
    const v = vertex();
    const models = await v.listModels(PROJECT, 'us-central1');
    assert.deepEqual(models.items.map((m) => m.displayName).sort(), ['half_plus_three', 'half_plus_two', 'times_three_float']);
    const hpt = models.items.find((m) => m.displayName === 'half_plus_two')!;
    assert.equal(hpt.versionId, '1');
    assert.deepEqual(hpt.versionAliases, ['default', 'stable']);
    const versions = await v.listVersions(hpt.name);
    assert.deepEqual(versions.items.map((m) => [m.versionId, m.versionAliases]), [['1', ['default', 'stable']], ['2', ['canary']]]);
    const v2 = await v.getModel(`${hpt.name}@2`);
    assert.equal(v2.versionId, '2');
    assert.match(v2.artifactUri!, /half_plus_two_tf2_cpu/);
  });

  it('batch prediction jobs: list, get (a failed job carries its google.rpc.Status), create, cancel, delete and wait for the operation', async () => {
    emu.state.timing = { jobStepMs: 0, operationDoneMs: 200 };
    const v = vertex();
    const jobs = await v.listBatchPredictionJobs(PROJECT, 'us-central1');
    assert.equal(jobs.items.length, 3);
    const failed = await v.getBatchPredictionJob(`${PARENT}/batchPredictionJobs/2233445566778899001`);
    assert.equal(failed.state, 'JOB_STATE_FAILED');
    const asError = errorFromStatus(failed.error!, { service: 'vertex', method: 'batch job', url: `${emu.url}/v1/${failed.name}` });
    assert.equal(asError.reason, 'invalid-argument');
    assert.match(asError.message, /expected a float/);

    const job: Omit<VertexBatchPredictionJob, 'name' | 'state'> = {
      displayName: 'from-a-test',
      model: `${PARENT}/models/4471256745123258368`,
      inputConfig: { instancesFormat: 'jsonl', gcsSource: { uris: ['gs://servelens-demo-data/batch/instances.jsonl'] } },
      outputConfig: { predictionsFormat: 'jsonl', gcsDestination: { outputUriPrefix: 'gs://servelens-demo-data/batch/out' } },
    };
    const created = await v.createBatchPredictionJob(PROJECT, 'us-central1', job);
    assert.match(created.name, new RegExp(`^${PARENT}/batchPredictionJobs/\\d+$`));
    assert.equal(created.displayName, 'from-a-test');
    assert.equal(requests(/batchPredictionJobs$/, 'POST').length, 1);

    await v.cancelBatchPredictionJob(created.name);
    const afterCancel = await v.getBatchPredictionJob(created.name);
    assert.ok(['JOB_STATE_CANCELLING', 'JOB_STATE_CANCELLED'].includes(afterCancel.state), afterCancel.state);

    // Cancelling a finished job is refused (FAILED_PRECONDITION) and, as a 400-class answer, not retried.
    emu.clearRequests();
    await fails(v.cancelBatchPredictionJob(`${PARENT}/batchPredictionJobs/1122334455667788990`), 'failed-precondition');
    assert.equal(requests(/:cancel$/).length, 1);

    const op = await v.deleteBatchPredictionJob(`${PARENT}/batchPredictionJobs/1122334455667788990`);
    assert.match(op.name, /\/operations\/\d+$/);
    const done = await v.waitOperation(op.name, { pollMs: 50 });
    assert.equal(done.done, true);
    await fails(v.getBatchPredictionJob(`${PARENT}/batchPredictionJobs/1122334455667788990`), 'not-found');
  });

  it('lists several regions together (bounded), a failing region does not stop the others', async () => {
    emu.faults.add({ path: /\/locations\/[^/]+\/endpoints$/, kind: 'latency', ms: 100 });
    emu.faults.add({ path: /asia-east1\/endpoints$/, kind: 'status', status: 403 });
    const v = vertex();
    const t0 = Date.now();
    const results = await listAcrossRegions(PROJECT, ['us-central1', 'europe-west4', 'asia-east1', 'us-east1'], (region, signal) =>
      listAll((pageToken) => v.listEndpoints(PROJECT, region, { pageSize: 200, ...(pageToken ? { pageToken } : {}), ...(signal ? { signal } : {}) })),
    );
    assert.ok(Date.now() - t0 < 380, `took ${Date.now() - t0} ms: the four calls did not overlap`);
    assert.deepEqual(results.map((r) => [r.region, r.value?.items.length ?? null]), [['us-central1', 3], ['europe-west4', 120], ['asia-east1', null], ['us-east1', 0]]);
    assert.ok(isCloudError(results[2]!.error, 'permission-denied'));
  });
});

describe('AI Platform client', () => {
  it('lists models with their default version, versions with state/runtime/scaling, gets one', async () => {
    const ml = legacy();
    const models = await ml.listModels(PROJECT);
    assert.deepEqual(models.items.map((m) => m.name), [`projects/${PROJECT}/models/half_plus_two`, `projects/${PROJECT}/models/half_plus_three`]);
    assert.equal(models.items[0]!.defaultVersion?.name, `projects/${PROJECT}/models/half_plus_two/versions/v1`);
    const versions = await ml.listVersions('half_plus_two', { project: PROJECT });
    assert.deepEqual(versions.items.map((v) => [v.name.split('/').pop(), v.isDefault ?? false, v.state, v.runtimeVersion]), [['v1', true, 'READY', '2.11'], ['v2', false, 'READY', '2.11']]);
    assert.deepEqual(versions.items[1]!.manualScaling, { nodes: 2 });
    const failed = await ml.getVersion(`projects/${PROJECT}/models/half_plus_three/versions/v1`);
    assert.equal(failed.state, 'FAILED');
    assert.match(failed.errorMessage!, /Bad model detected/);
    await fails(ml.getModel(`projects/${PROJECT}/models/nope`), 'not-found');
  });
});

describe('TF Serving client', () => {
  const tfs = () => new TfServingClient({ http: http(), baseUrl: emu.url });

  it('model status of every version, of one version, of a label; a server whose version failed to load', async () => {
    assert.deepEqual((await tfs().getModelStatus('half_plus_two')).model_version_status.map((s) => [s.version, s.state]), [['123', 'AVAILABLE']]);
    const both = await tfs().getModelStatus('half_plus_two_2_versions');
    assert.deepEqual(both.model_version_status.map((s) => s.version).sort(), ['123', '124']);
    assert.equal((await tfs().getModelStatus('half_plus_two_2_versions', { label: 'canary' })).model_version_status[0]!.version, '124');
    assert.equal((await tfs().getModelStatus('half_plus_two_2_versions', { version: '00000123' })).model_version_status[0]!.version, '123');
    const broken = await new TfServingClient({ http: http(), baseUrl: `${emu.url}/tfs-broken` }).getModelStatus('half_plus_two');
    assert.equal(broken.model_version_status[0]!.state, 'END');
    assert.match(broken.model_version_status[0]!.status.error_message, /out of memory/);
    const missing = await fails(tfs().getModelStatus('half_plus_four'), 'not-found');
    assert.match(missing.hint ?? '', /model name and version/);
    assert.equal(requests(/\/v1\/models\//).every((r) => !r.authorization), true, 'no Google token went to TF Serving');
  });

  it('metadata signatures equal what the model reader reads from the same SavedModel', async () => {
    for (const [model, dir] of [
      ['half_plus_two', 'saved_model_half_plus_two_cpu/00000123'],
      ['half_plus_three', 'saved_model_half_plus_three/00000123'],
      ['half_plus_two_tf2', 'saved_model_half_plus_two_tf2_cpu/00000123'],
    ] as const) {
      const served = await tfs().getSignatures(model);
      assert.equal(served.version, '123');
      const local = await listSignaturesLazy(savedModel(dir, 'saved_model.pb'));
      assert.deepEqual(byName(served.signatures), byName(local.metaGraphs[0]!.signatures), model);
    }
  });

  it("TF Serving's own expected metadata answers (fixtures/expected) convert to the reader's signatures", async () => {
    for (const [file, dir] of [
      ['half_plus_two_model_metadata.json', 'saved_model_half_plus_two_cpu/00000123'],
      ['saved_model_half_plus_two_2_versions_metadata.json', 'saved_model_half_plus_two_2_versions/00000123'],
      ['saved_model_half_plus_two_tf2_2_versions_metadata.json', 'saved_model_half_plus_two_tf2_cpu/00000123'],
    ]) {
      const json = JSON.parse(await readFile(join(SAVEDMODELS, 'expected', file), 'utf8')) as unknown;
      const local = await listSignaturesLazy(savedModel(dir, 'saved_model.pb'));
      assert.deepEqual(byName(signaturesFromMetadata(json)), byName(local.metaGraphs[0]!.signatures), file);
    }
    const serving = signaturesFromMetadata(JSON.parse(await readFile(join(SAVEDMODELS, 'expected', 'half_plus_two_model_metadata.json'), 'utf8')));
    const classify = serving.find((s) => s.name === 'classify_x_to_y')!;
    assert.deepEqual(classify.inputs[0], { alias: 'inputs', dtype: 'DT_STRING', shape: null, tensor: 'tf_example:0' });
    assert.deepEqual(serving.find((s) => s.name === 'serving_default')!.inputs[0]!.shape, [-1, 1]);
  });

  it('metadata that is not what TF Serving sends is a bad-response error naming the field', () => {
    const bad = { model_spec: { name: 'm' }, metadata: { signature_def: { signature_def: { s: { inputs: { x: { dtype: 'DT_FLOAT', tensor_shape: { dim: [{ size: 'many' }] }, name: 'x:0' } } } } } } };
    assert.throws(() => signaturesFromMetadata(bad), (e: unknown) => isCloudError(e, 'bad-response') && /inputs\.x\.tensor_shape\.dim\[0\]\.size/.test((e as Error).message));
    assert.throws(() => signaturesFromMetadata({ metadata: 'nope' }), (e: unknown) => isCloudError(e, 'bad-response'));
    const future = signaturesFromMetadata({ model_spec: { name: 'm' }, metadata: { signature_def: { signature_def: { s: { inputs: { x: { dtype: 'DT_FLOAT16X', tensor_shape: { dim: [], unknown_rank: true }, name: 'x:0' } }, method_name: 'tensorflow/serving/predict' } } } } });
    assert.deepEqual(future[0]!.inputs[0], { alias: 'x', dtype: 'DT_FLOAT16X', shape: null, tensor: 'x:0' });
  });
});

describe('Cloud Storage: model signatures from gs://', () => {
  let cacheDir = '';
  let work = '';
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'servelens-gcs-'));
    cacheDir = join(work, 'cache');
  });
  after(() => rm(work, { recursive: true, force: true }));

  const reader = (dir?: string, h = http()) => new ArtifactSignatureReader({ storage: new StorageClient({ http: h, apiEndpoint: emu.url }), ...(dir ? { cacheDir: dir } : {}) });
  const HPT = 'gs://servelens-fixtures/savedmodels/saved_model_half_plus_two_cpu/00000123';

  it('reads saved_model.pb under an artifactUri with the model reader, pinned to the generation', async () => {
    const r = reader();
    const a = await r.read(`${HPT}/`);
    assert.equal(a.uri, `${HPT}/saved_model.pb`);
    assert.equal(a.format, 'pb');
    assert.match(a.generation, /^\d+$/);
    const local = await listSignaturesLazy(savedModel('saved_model_half_plus_two_cpu', '00000123', 'saved_model.pb'));
    assert.deepEqual(a.signatures, local.metaGraphs[0]!.signatures);
    const media = requests(/saved_model\.pb$/).filter((q) => /alt=media/.test(q.query));
    assert.equal(media.length, 1);
    assert.match(media[0]!.query, new RegExp(`generation=${a.generation}`));
  });

  it('caches by generation: in memory (no second download) and on disk (a new reader reuses the file)', async () => {
    const r = reader(cacheDir);
    await r.read(HPT);
    await r.read(HPT);
    assert.equal(r.downloads, 1);
    assert.equal((await readdir(cacheDir)).filter((f) => f.endsWith('.pb')).length, 1);
    const again = reader(cacheDir);
    const b = await again.read(HPT);
    assert.equal(again.downloads, 0);
    assert.equal(b.signatures.length, 5);
    assert.equal(requests(/saved_model\.pb$/).filter((q) => /alt=media/.test(q.query)).length, 1);
  });

  it('falls back to saved_model.pbtxt, and names both when neither is there', async () => {
    const t = await reader().read('gs://servelens-fixtures/savedmodels/half_plus_two_pbtxt/00000123');
    assert.equal(t.format, 'pbtxt');
    const local = await readModel(savedModel('half_plus_two_pbtxt', '00000123'));
    assert.deepEqual(t.signatures, local.metaGraphs[0]!.signatures);
    assert.ok(t.signatures.length >= 2);
    await assert.rejects(reader().read('gs://servelens-fixtures/savedmodels/nothing-here'), (e: unknown) => e instanceof ModelNotFoundError && /neither saved_model\.pb nor saved_model\.pbtxt/.test(e.message));
  });

  it('a corrupt saved_model.pb is a ModelFormatError about the gs:// object, with the byte offset', async () => {
    const bad = join(work, 'bad', 'model');
    await mkdir(bad, { recursive: true });
    const bytes = await readFile(savedModel('saved_model_half_plus_two_cpu', '00000123', 'saved_model.pb'));
    await writeFile(join(bad, 'saved_model.pb'), bytes.subarray(0, 200)); // cut inside the first MetaGraphDef
    emu.state.buckets!['bad-bucket'] = { project: PROJECT, mounts: [{ prefix: '', dir: join(work, 'bad') }] };
    await assert.rejects(reader(cacheDir).read('gs://bad-bucket/model'), (e: unknown) => {
      assert.ok(e instanceof ModelFormatError, String(e));
      assert.equal(e.file, 'gs://bad-bucket/model/saved_model.pb');
      assert.equal(typeof e.offset, 'number');
      assert.ok(!e.message.includes(cacheDir), 'the local copy is not named');
      return true;
    });
  });

  it('a refused bucket is permission-denied naming the Storage role; a download cut off mid-way is retried whole', async () => {
    emu.setAccess(PROJECT, 'PERMISSION_DENIED', 'storage.googleapis.com');
    const denied = await fails(reader().read(HPT), 'permission-denied');
    assert.match(denied.hint ?? '', /roles\/storage\.objectViewer/);
    emu.setAccess(PROJECT, null, 'storage.googleapis.com');
    emu.clearRequests();
    emu.faults.add({ path: /saved_model\.pb$/, kind: 'truncate', times: 1 });
    const storage = new StorageClient({ http: http(), apiEndpoint: emu.url });
    const file = join(work, 'download.pb');
    const size = await storage.downloadObject('servelens-fixtures', 'savedmodels/saved_model_half_plus_two_cpu/00000123/saved_model.pb', file, { maxBytes: 1 << 20 });
    const original = await readFile(savedModel('saved_model_half_plus_two_cpu', '00000123', 'saved_model.pb'));
    assert.equal(size, original.length);
    assert.ok((await readFile(file)).equals(original), 'the retried download is whole');
    const media = requests(/saved_model\.pb$/);
    assert.deepEqual(media.map((q) => q.fault ?? 'ok'), ['truncate', 'ok']);
  });
});

describe('errors and injected faults (emulator)', () => {
  const list = (h = http(), signal?: AbortSignal) => vertex(h).listEndpoints(PROJECT, 'us-central1', signal ? { signal } : {});
  const listCalls = () => requests(/us-central1\/endpoints$/).length;

  it('401: an expired token is unauthenticated (ErrorInfo ACCESS_TOKEN_EXPIRED); a source that can refresh is asked once more', async () => {
    const expired = new HttpClient({ credentials: new FixedTokenSource('ya29.servelens-expired-token'), log: (l) => seen.push(l) });
    const err = await fails(list(expired), 'unauthenticated');
    assert.equal(err.errorInfo?.reason, 'ACCESS_TOKEN_EXPIRED');
    assert.equal(listCalls(), 1);

    let n = 0;
    const rotating: CredentialSource = {
      getAccessToken: async () => ({ token: n++ === 0 ? 'ya29.servelens-expired-token' : TOKEN }),
      describe: () => ({ kind: 'gcloud' }),
      invalidate: () => undefined,
    };
    emu.clearRequests();
    assert.equal((await list(new HttpClient({ credentials: rotating }))).items.length, 3);
    assert.equal(listCalls(), 2);
  });

  it('403 PERMISSION_DENIED names the IAM role; SERVICE_DISABLED the enable command; neither is retried', async () => {
    const denied = await fails(vertex().listEndpoints('servelens-denied', 'us-central1'), 'permission-denied');
    assert.match(denied.hint ?? '', /Vertex AI User \(roles\/aiplatform\.user\)/);
    assert.match(denied.hint ?? '', /aiplatform\.endpoints\.list/);
    const disabled = await fails(vertex().listEndpoints('servelens-disabled', 'us-central1'), 'api-not-enabled');
    assert.match(disabled.hint ?? '', /gcloud services enable aiplatform\.googleapis\.com --project 555555555555/);
    assert.match(disabled.hint ?? '', /https:\/\/console\.developers\.google\.com\/apis\/api\/aiplatform\.googleapis\.com\/overview\?project=555555555555/);
    const legacyDisabled = await fails(legacy().listModels('servelens-disabled'), 'api-not-enabled');
    assert.match(legacyDisabled.hint ?? '', /ml\.googleapis\.com/);
    assert.equal(emu.requests().length, 3);
  });

  it('404 names project and region; 400 (bad filter, injected 400) is never retried', async () => {
    const missing = await fails(vertex().getEndpoint(`${PARENT}/endpoints/999`), 'not-found');
    assert.match(missing.hint ?? '', /us-central1/);
    await fails(vertex().listEndpoints(PROJECT, 'us-central1', { filter: 'this is (not a filter' }), 'invalid-argument');
    emu.faults.add({ path: /us-central1\/endpoints$/, kind: 'status', status: 400 });
    await fails(list(), 'invalid-argument');
    assert.equal(listCalls(), 2, 'each 400 was sent once');
  });

  for (const status of [500, 502, 503, 504]) {
    it(`${status} twice, then success: retried within the budget`, async () => {
      emu.faults.add({ path: /us-central1\/endpoints$/, kind: 'status', status, times: 2 });
      assert.equal((await list()).items.length, 3);
      assert.equal(listCalls(), 3);
    });
  }

  it('429 with Retry-After: 1 is waited for (≥ 1 s), then succeeds', async () => {
    emu.faults.add({ path: /us-central1\/endpoints$/, kind: 'status', status: 429, retryAfter: 1, times: 1 });
    const t0 = Date.now();
    assert.equal((await list()).items.length, 3);
    assert.ok(Date.now() - t0 >= 950, `waited ${Date.now() - t0} ms`);
    const [first, second] = requests(/us-central1\/endpoints$/);
    assert.equal(first!.status, 429);
    assert.ok(Date.parse(second!.time) - Date.parse(first!.time) >= 950);
  });

  it('503 on every attempt: unavailable after the attempt budget, with the count', async () => {
    emu.faults.add({ path: /us-central1\/endpoints$/, kind: 'status', status: 503 });
    const err = await fails(list(http({ retry: { maxAttempts: 3, initialDelayMs: 5 } })), 'unavailable');
    assert.equal(err.attempts, 3);
    assert.equal(listCalls(), 3);
  });

  it('a connection reset is retried on a GET; not on the POST that creates a job', async () => {
    emu.faults.add({ path: /us-central1\/endpoints$/, kind: 'reset', times: 1 });
    assert.equal((await list()).items.length, 3);
    assert.equal(listCalls(), 2);
    emu.faults.add({ path: /batchPredictionJobs$/, method: 'POST', kind: 'reset' });
    await fails(vertex().createBatchPredictionJob(PROJECT, 'us-central1', { displayName: 'x', model: `${PARENT}/models/4471256745123258368` }), 'network');
    assert.equal(requests(/batchPredictionJobs$/, 'POST').length, 1);
  });

  it('a truncated body is retried', async () => {
    emu.faults.add({ path: /us-central1\/endpoints$/, kind: 'truncate', times: 1 });
    assert.equal((await list()).items.length, 3);
    assert.equal(listCalls(), 2);
  });

  it('a slow body past the time-out: timeout after the attempts', async () => {
    emu.faults.add({ path: /us-central1\/endpoints$/, kind: 'slow-body', ms: 3000 });
    const err = await fails(list(http({ timeoutMs: 200, retry: { maxAttempts: 2, initialDelayMs: 5 } })), 'timeout');
    assert.equal(err.attempts, 2);
    assert.equal(listCalls(), 2);
  });

  it('cancellation during injected latency: cancelled at once, nothing retried', async () => {
    emu.faults.add({ path: /us-central1\/endpoints$/, kind: 'latency', ms: 3000 });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    const t0 = Date.now();
    await fails(list(http(), ac.signal), 'cancelled');
    assert.ok(Date.now() - t0 < 1500);
    assert.equal(listCalls(), 1);
  });

  it("the emulator's metadata server signs in through ADC (GCE_METADATA_HOST), one token for many calls", async () => {
    const saved = { ...process.env };
    process.env.GCE_METADATA_HOST = emu.url.replace(/^http:\/\//, '');
    process.env.CLOUDSDK_CONFIG = join(tmpdir(), 'servelens-no-gcloud-config');
    delete process.env.GOOGLE_APPLICATION_CREDENTIALS;
    try {
      const adc = new AdcSource();
      const h = new HttpClient({ credentials: adc });
      for (let i = 0; i < 3; i++) assert.equal((await vertex(h).listEndpoints(PROJECT, 'us-central1')).items.length, 3);
      assert.equal(emu.tokenRequests, 1);
      const info = await adc.identify();
      assert.equal(info.kind, 'metadata-server');
      assert.equal(info.project, PROJECT);
      seen.push(JSON.stringify(info));
    } finally {
      for (const k of ['GCE_METADATA_HOST', 'CLOUDSDK_CONFIG', 'GOOGLE_APPLICATION_CREDENTIALS']) {
        if (saved[k] === undefined) delete process.env[k];
        else process.env[k] = saved[k];
      }
    }
  });

  it('no token in any error, hint or log line this file produced', () => {
    assert.ok(seen.length > 30, `only ${seen.length} texts collected`);
    const all = seen.join('\n');
    for (const t of [TOKEN, 'ya29.servelens-expired-token', 'ya29.servelens-emulator-token']) assert.ok(!all.includes(t), `${t} leaked`);
    assert.ok(!/Bearer ya29/.test(all));
    assert.ok(seen.some((l) => /^cloud: GET /.test(l)), 'log lines were collected');
  });
});
