// The local runner as the editor uses it, without the editor (src/vscode/runner/localRunners.ts and
// plan.ts import no `vscode`): LocalRunners on a real worker (one per model, the PredictCall shape
// send() expects, time-out and cancel), the helpers of Run Model Locally and batch, and the Vertex AI
// batch job made from a JSON Lines file, created against the emulator as the command does it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FixedTokenSource } from '../../src/core/cloud/auth';
import type { VertexEndpoint } from '../../src/core/cloud/contract';
import { HttpClient } from '../../src/core/cloud/http';
import { StorageClient } from '../../src/core/cloud/storage';
import { VertexClient } from '../../src/core/cloud/vertex';
import { UsageError } from '../../src/core/errors';
import type { Signature } from '../../src/core/model/types';
import { send } from '../../src/core/predict/target';
import { generateRequestText } from '../../src/core/request/generate';
import { RunnerError } from '../../src/core/runner/errors';
import type { RunnerHostOptions } from '../../src/core/runner/host';
import { LocalRunners, type RunnerLike } from '../../src/vscode/runner/localRunners';
import {
  batchOutputPath,
  isPredictSignature,
  modelPathOf,
  planCloudBatch,
  submitCloudBatch,
  runnableSignatures,
  timeStamp,
  toPredictCall,
} from '../../src/vscode/runner/plan';
import { startEmulator, type Emulator } from '../emulator/server';
import { savedModel } from '../helpers/fixtures';
import { vertexExplainOptions } from '../../src/core/runner/explainOptions';

const HP2 = savedModel('saved_model_half_plus_two_cpu');

describe('LocalRunners: one worker per model, the PredictCall send() expects', () => {
  const runners = new LocalRunners({ timeoutMs: () => 60_000 });
  after(() => runners.dispose());

  it('predicts half_plus_two through send(): predictions, text = JSON of the body, sizes, local: URL', async () => {
    const body = '{"instances": [1.0, 2.0, 5.0]}';
    const r = await send({ kind: 'local', modelPath: HP2 }, body, 'predict', { local: runners.predict });
    assert.deepEqual(r.json, { predictions: [2.5, 3.0, 4.5] });
    assert.equal(r.text, JSON.stringify(r.json));
    assert.equal(r.status, 200);
    assert.equal(r.attempts, 1);
    assert.equal(r.requestBytes, Buffer.byteLength(body));
    assert.equal(r.responseBytes, Buffer.byteLength(r.text));
    assert.equal(r.url, `local:${HP2}`);
    assert.ok(r.latencyMs >= 0 && r.latencyMs < 30_000);
    assert.deepEqual(runners.loaded(), [HP2]);
  });

  it('runs another signature and explains (Vertex-style explanations) on the same worker', async () => {
    const y2 = await runners.predict(HP2, '{"instances": [{"x": 1.0}]}', 'predict', { signature: 'serving_default' });
    assert.deepEqual(y2.json, { predictions: [2.5] });
    const x = await runners.predict(HP2, { instances: [2.0] }, 'explain', {});
    const ex = x.json as { explanations: unknown[]; predictions: unknown[] };
    assert.equal(ex.explanations.length, 1);
    assert.deepEqual(ex.predictions, [3.0]);
    assert.deepEqual(runners.loaded(), [HP2]);
    const sigs = await runners.signatures(HP2);
    assert.ok(sigs.some((s) => s.name === 'serving_default'));
  });

  it('an example generated from each runnable predict signature runs', async () => {
    const sigs = runnableSignatures(await runners.signatures(HP2)).filter(isPredictSignature);
    assert.ok(sigs.length >= 1);
    for (const sig of sigs) {
      const r = await runners.predict(HP2, generateRequestText(sig, { format: 'row', signatureName: sig.name }), 'predict', { signature: sig.name });
      assert.ok(Array.isArray((r.json as { predictions?: unknown }).predictions), `${sig.name}: ${r.text}`);
    }
  });

  it('an invalid request is the runner\'s invalid-request error (status 400)', async () => {
    await assert.rejects(runners.predict(HP2, '{"instances": [{"xx": 1.0}]}', 'predict', {}), (e: unknown) => e instanceof RunnerError && e.reason === 'invalid-request' && e.status === 400);
  });

  it('a cancelled run rejects as cancelled and the next run works', async () => {
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(runners.predict(HP2, '{"instances": [1.0]}', 'predict', { signal: ac.signal }), (e: unknown) => e instanceof RunnerError && e.reason === 'cancelled');
    assert.deepEqual((await runners.predict(HP2, '{"instances": [1.0]}', 'predict', {})).json, { predictions: [2.5] });
  });
});

describe('LocalRunners: time-out', () => {
  /** A host whose model never finishes loading, or whose runs never finish. */
  function stuck(stage: 'load' | 'run') {
    const made: { opts: RunnerHostOptions; closed: boolean; aborted: boolean }[] = [];
    const createHost = (opts: RunnerHostOptions): RunnerLike => {
      const rec = { opts, closed: false, aborted: false };
      made.push(rec);
      const never = (signal?: AbortSignal) =>
        new Promise<never>((_ok, fail) =>
          signal?.addEventListener('abort', () => {
            rec.aborted = true;
            fail(new RunnerError('cancelled', 'The local run was cancelled.'));
          }),
        );
      return {
        info: () => (stage === 'load' ? never() : Promise.resolve({ format: 'savedmodel', file: '', dir: '', signatures: [] })),
        predict: (_b, o) => never(o?.signal),
        explain: (_b, o) => never(o?.signal),
        close: async () => {
          rec.closed = true;
        },
      };
    };
    return { made, createHost };
  }

  it('a load past the time-out closes the worker and says which setting to raise; the next run starts a fresh one', async () => {
    const { made, createHost } = stuck('load');
    const runners = new LocalRunners({ timeoutMs: () => 50, timeoutSetting: 'servelens.runner.timeoutSeconds', createHost });
    await assert.rejects(runners.predict('/m', '[1]', 'predict', {}), (e: unknown) => {
      assert.ok(e instanceof RunnerError, String(e));
      assert.match(e.message, /did not finish within 50 ms \(the model's loading included\)/);
      assert.match(e.hint ?? '', /servelens\.runner\.timeoutSeconds/);
      return true;
    });
    assert.equal(made.length, 1);
    assert.equal(made[0]!.closed, true, 'the stuck worker was closed');
    assert.deepEqual(runners.loaded(), []);
    await assert.rejects(runners.signatures('/m'), RunnerError);
    assert.equal(made.length, 2, 'a fresh worker for the next run');
    runners.dispose();
  });

  it('a run past the time-out is aborted (the worker is interrupted) and reported as a time-out', async () => {
    const { made, createHost } = stuck('run');
    const runners = new LocalRunners({ timeoutMs: () => 50, createHost });
    await assert.rejects(runners.predict('/m', '[1]', 'predict', {}), /did not finish within/);
    assert.equal(made[0]!.aborted, true);
    runners.dispose();
    assert.equal(made[0]!.closed, true, 'dispose closes the workers');
    await assert.rejects(runners.predict('/m', '[1]', 'predict', {}), (e: unknown) => e instanceof RunnerError && e.reason === 'cancelled');
  });

  it('the caller\'s cancel is a cancel, not a time-out', async () => {
    const { createHost } = stuck('run');
    const runners = new LocalRunners({ timeoutMs: () => 60_000, createHost });
    const ac = new AbortController();
    const p = runners.predict('/m', '[1]', 'predict', { signal: ac.signal });
    setImmediate(() => ac.abort());
    await assert.rejects(p, (e: unknown) => e instanceof RunnerError && e.reason === 'cancelled' && !/within/.test(e.message));
    runners.dispose();
  });
});

describe('runner helpers (plan.ts)', () => {
  const sig = (name: string, method: string, inputs = 1): Signature => ({
    name,
    method,
    inputs: Array.from({ length: inputs }, (_, i) => ({ alias: `x${i}`, dtype: 'DT_FLOAT', shape: [-1], tensor: `x${i}:0` })),
    outputs: [{ alias: 'y', dtype: 'DT_FLOAT', shape: [-1], tensor: 'y:0' }],
  });

  it('toPredictCall', () => {
    const c = toPredictCall({ predictions: [1] }, { instances: [1] }, 12, '/m');
    assert.deepEqual(c, { text: '{"predictions":[1]}', json: { predictions: [1] }, latencyMs: 12, requestBytes: 17, responseBytes: 19, status: 200, attempts: 1, url: 'local:/m', contentType: 'application/json' });
  });

  it('vertexExplainOptions reads Vertex explanation parameters (the local server reads them the same way)', () => {
    assert.deepEqual(vertexExplainOptions('{"instances": [1]}'), { method: 'sampled-shapley' });
    assert.deepEqual(vertexExplainOptions({ instances: [1], parameters: { sampledShapleyAttribution: { pathCount: 5 } } }), { method: 'sampled-shapley', pathCount: 5 });
    assert.deepEqual(vertexExplainOptions('{"parameters": {"integratedGradientsAttribution": {"stepCount": 20}}}'), { method: 'integrated-gradients', stepCount: 20 });
    assert.deepEqual(vertexExplainOptions('not json'), {});
    assert.deepEqual(vertexExplainOptions('{"parameters": {"sampledShapleyAttribution": {"pathCount": 0}}}'), { method: 'sampled-shapley' }, 'a count of 0 is left to the default');
  });

  it('runnableSignatures: no internal or input-less signatures, serving_default first; predict signatures', () => {
    const all = [sig('regress_x_to_y', 'tensorflow/serving/regress'), sig('__saved_model_init_op', '', 0), sig('serving_default', 'tensorflow/serving/predict'), sig('b', '', 0), sig('a', '')];
    assert.deepEqual(runnableSignatures(all).map((s) => s.name), ['serving_default', 'a', 'regress_x_to_y']);
    assert.deepEqual(runnableSignatures(all).filter(isPredictSignature).map((s) => s.name), ['serving_default', 'a']);
  });

  it('modelPathOf and batchOutputPath', () => {
    assert.equal(modelPathOf('/m/00000123/saved_model.pb'), '/m/00000123');
    assert.equal(modelPathOf('/m/saved_model.pbtxt'), '/m');
    assert.equal(modelPathOf('/t/model.json'), '/t/model.json');
    assert.equal(modelPathOf('/m'), '/m');
    assert.equal(batchOutputPath('/w/requests/half_plus_two.instances.jsonl'), '/w/requests/half_plus_two.predictions.jsonl');
    assert.equal(batchOutputPath('/w/a.NDJSON'), '/w/a.predictions.jsonl');
    assert.equal(batchOutputPath('/w/.jsonl'), '/w/batch.predictions.jsonl');
    assert.equal(timeStamp(new Date('2025-03-01T07:08:09.123Z')), '20250301-070809');
  });

  const endpoint = (over: Partial<VertexEndpoint> = {}): VertexEndpoint => ({
    name: 'projects/123/locations/us-central1/endpoints/77',
    displayName: 'prod',
    deployedModels: [
      { id: 'a', model: 'projects/123/locations/us-central1/models/9', modelVersionId: '1' },
      { id: 'b', model: 'projects/123/locations/us-central1/models/9', modelVersionId: '2' },
    ],
    trafficSplit: { a: 10, b: 90 },
    ...over,
  });

  it('planCloudBatch: the deployed model with the most traffic at its version; a timestamped input under the prefix; output under the prefix', () => {
    const p = planCloudBatch('/w/my file.instances.jsonl', endpoint(), 'gs://bkt/batch/', new Date('2025-03-01T07:08:09Z'));
    assert.equal(p.project, '123');
    assert.equal(p.region, 'us-central1');
    assert.equal(p.bucket, 'bkt');
    assert.equal(p.object, 'batch/my_file.instances-20250301-070809.jsonl');
    assert.equal(p.inputUri, 'gs://bkt/batch/my_file.instances-20250301-070809.jsonl');
    assert.equal(p.outputPrefix, 'gs://bkt/batch');
    assert.equal(p.deployedModelId, 'b');
    assert.deepEqual(p.job, {
      displayName: 'servelens-my_file.instances-20250301-070809',
      model: 'projects/123/locations/us-central1/models/9@2',
      inputConfig: { instancesFormat: 'jsonl', gcsSource: { uris: [p.inputUri] } },
      outputConfig: { predictionsFormat: 'jsonl', gcsDestination: { outputUriPrefix: 'gs://bkt/batch' } },
    });
    assert.equal(planCloudBatch('/w/x.jsonl', endpoint(), 'gs://bkt', new Date(0)).object, 'x-19700101-000000.jsonl');
    assert.throws(() => planCloudBatch('/w/x.jsonl', endpoint({ deployedModels: [] }), 'gs://bkt', new Date()), (e: unknown) => e instanceof UsageError && /no deployed model/.test(e.message));
    assert.throws(() => planCloudBatch('/w/x.jsonl', endpoint(), 'bkt/folder', new Date()), UsageError);
  });
});

describe('a Vertex AI batch job from a JSON Lines file (the emulator), as Run Batch Prediction makes it', () => {
  let emu: Emulator;
  before(async () => {
    emu = await startEmulator();
  });
  after(() => emu.close());

  it('submitCloudBatch reads the endpoint, uploads the file, creates the job for the deployed model with the most traffic', async () => {
    const http = new HttpClient({ credentials: new FixedTokenSource('ya29.servelens-test-token') });
    const vertex = new VertexClient({ http, apiEndpoint: emu.url });
    const storage = new StorageClient({ http, apiEndpoint: emu.url });
    const [prod] = (await vertex.listEndpoints('servelens-demo', 'us-central1')).items;
    const lines = '[1.0]\n[2.0]\n[5.0]\n';
    const steps: string[] = [];
    const { plan, job } = await submitCloudBatch({ vertex, storage }, '/w/half_plus_two.instances.jsonl', Buffer.from(lines), prod!.name, 'gs://servelens-demo-data/batch', { onStep: (m) => steps.push(m) });
    assert.deepEqual(steps.map((m) => m.split(' ')[0]), ['reading', 'uploading', 'creating']);
    const upload = emu.requests().find((r) => r.path.startsWith('/upload/storage/v1/b/servelens-demo-data/o'));
    assert.ok(upload, 'uploaded through the Cloud Storage upload route');
    assert.match(upload.query, /ifGenerationMatch=0/, 'never over an existing object');
    assert.match(upload.headers['content-type'] ?? '', /^application\/jsonl/);
    assert.match(job.name, /^projects\/\d+\/locations\/us-central1\/batchPredictionJobs\/\d+$/);
    assert.equal(job.displayName, plan.job.displayName);
    assert.match(job.model ?? '', /\/models\/4471256745123258368$/);
    assert.equal(job.modelVersionId, '1', 'the stable deployment (90% of the traffic)');
    assert.deepEqual(job.inputConfig?.gcsSource?.uris, [plan.inputUri]);
    assert.equal((await storage.readObject(plan.bucket, plan.object, { maxBytes: 1024 })).toString(), lines);
    const listed = await vertex.listBatchPredictionJobs('servelens-demo', 'us-central1');
    assert.ok(listed.items.some((j) => j.name === job.name), 'the job is listed (the Vertex AI view shows it)');
  });
});
