/**
 * Predict / Explain against the emulator: every prediction call of the Vertex AI, AI Platform and
 * TF Serving clients, the answers' shapes (exact body text, sizes, the deployed model), the
 * emulator's refusals in each service's shape, and the retry rules of a non-idempotent POST read
 * from the request log (429/503 sent again, 400/500/reset/time-out never).
 */
import { strict as assert } from 'node:assert';
import { after, before, beforeEach, describe, it } from 'node:test';
import { AiPlatformClient } from '../../src/core/cloud/aiplatform';
import { FixedTokenSource } from '../../src/core/cloud/auth';
import { CloudApiError, isCloudError, type CloudErrorReason } from '../../src/core/cloud/errors';
import { HttpClient, type HttpClientOptions, type Transport, type TransportRequest } from '../../src/core/cloud/http';
import { TfServingClient, verbForMethod } from '../../src/core/cloud/tfserving';
import { VertexClient } from '../../src/core/cloud/vertex';
import { startEmulator, type Emulator } from '../emulator/server';
import { halfPlusTwoPredictor, type PredictorCall } from '../helpers/half-plus-two-predictor';

const TOKEN = 'ya29.servelens-test-token';
const NUMBER = '123456789012';
const PROD = 'projects/servelens-demo/locations/us-central1/endpoints/2281564539145093120';
const STAGING = 'projects/servelens-demo/locations/us-central1/endpoints/8763221140365918208';
const EMPTY = 'projects/servelens-demo/locations/us-central1/endpoints/5120553346729852928';
const STABLE = '6025781412435673088';
const CANARY = '3395926227162546176';

let emu: Emulator;
const calls: PredictorCall[] = [];
const seen: string[] = [];

before(async () => {
  emu = await startEmulator({ predictor: halfPlusTwoPredictor(calls) });
});
after(async () => {
  await emu.close();
});
beforeEach(() => {
  emu.reset();
  emu.setPredictor(halfPlusTwoPredictor(calls));
  calls.length = 0;
});

function http(opts: HttpClientOptions = {}): HttpClient {
  return new HttpClient({ credentials: new FixedTokenSource(TOKEN), retry: { initialDelayMs: 5, maxDelayMs: 20 }, log: (l) => seen.push(l), ...opts });
}
const vertex = (h = http()) => new VertexClient({ http: h, apiEndpoint: emu.url });
const legacy = (h = http()) => new AiPlatformClient({ http: h, apiEndpoint: emu.url });
const tfs = (h = http(), prefix = '') => new TfServingClient({ http: h, baseUrl: `${emu.url}${prefix}` });
const requests = (re: RegExp) => emu.requests().filter((r) => re.test(r.path));

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

describe('Vertex AI predict / explain / rawPredict', () => {
  it('predict: predictions from the model, the deployed model that answered, the exact body text, sizes and latency', async () => {
    const body = '{"instances": [1.0, 2.0, 5.0]}';
    const r = await vertex().predict(PROD, body);
    assert.deepEqual(r.json.predictions, [2.5, 3.0, 4.5]);
    assert.equal(r.deployedModelId, STABLE, 'the first request falls in the 90% share');
    assert.equal(r.model, `projects/${NUMBER}/locations/us-central1/models/4471256745123258368`);
    assert.equal(r.modelVersionId, '1');
    assert.equal(r.modelDisplayName, 'half_plus_two');
    assert.equal(JSON.stringify(JSON.parse(r.text)), JSON.stringify(r.json));
    assert.equal(r.responseBytes, Buffer.byteLength(r.text));
    assert.equal(r.requestBytes, Buffer.byteLength(body));
    assert.equal(r.attempts, 1);
    assert.ok(r.latencyMs > 0);
    assert.match(r.contentType ?? '', /application\/json/);
    assert.equal(calls.length, 1);
    assert.equal(calls[0]!.opts.signature, 'serving_default');
    assert.equal(calls[0]!.opts.format, 'row');
    assert.match(calls[0]!.modelDir, /saved_model_half_plus_two_cpu[/\\]00000123$/);
    const log = requests(/:predict$/);
    assert.equal(log.length, 1);
    assert.equal(log[0]!.method, 'POST');
    assert.equal(log[0]!.authorization, true);
  });

  it('predict follows the traffic split: 90 of 100 requests to the stable model, 10 to the canary', async () => {
    const v = vertex();
    const ids: string[] = [];
    for (let i = 0; i < 100; i++) ids.push((await v.predict(PROD, { instances: [[1.0]] })).deployedModelId!);
    assert.equal(ids.filter((id) => id === STABLE).length, 90);
    assert.equal(ids.filter((id) => id === CANARY).length, 10);
  });

  it('explain with a deployedModelId: attributions of that model; a model with explanations disabled is FAILED_PRECONDITION', async () => {
    const r = await vertex().explain(PROD, { instances: [{ x: [4.0] }] }, STABLE);
    assert.equal(r.deployedModelId, STABLE);
    const exp = r.json.explanations as { attributions: { featureAttributions: Record<string, number>; instanceOutputValue: number }[] }[];
    assert.equal(exp.length, 1);
    assert.deepEqual(exp[0]!.attributions[0]!.featureAttributions, { x: 2 });
    assert.equal(exp[0]!.attributions[0]!.instanceOutputValue, 4);
    assert.deepEqual(r.json.predictions, [[4]]);
    const sent = calls[0]!.body;
    assert.equal(sent.deployedModelId, undefined, 'the model server does not see Vertex AI fields');
    const e = await fails(vertex().explain(PROD, '{"instances": [[1.0]]}', CANARY), 'failed-precondition');
    assert.match(e.message, /Explanations are disabled/);
  });

  it('rawPredict: any signature_name passes to the model server; answers bytes, content type and the deployed model header', async () => {
    const r = await vertex().rawPredict(STAGING, '{"signature_name": "serving_default", "instances": [2.0]}', 'application/json');
    assert.equal(r.contentType.split(';')[0], 'application/json');
    assert.deepEqual(JSON.parse(r.bytes.toString('utf8')), { predictions: [4] }, 'half_plus_three: 0.5 * 2 + 3');
    assert.equal(r.deployedModelId, '1203748251837218816');
    assert.equal(r.responseBytes, r.bytes.length);
    const e = await fails(vertex().rawPredict(STAGING, '{"signature_name": "serving_defualt", "instances": [2.0]}', 'application/json'), 'invalid-argument');
    assert.equal(e.httpStatus, 400);
    assert.equal(e.serverMessage, 'Serving signature name: "serving_defualt" not found in signature def');
    await fails(vertex().rawPredict(STAGING, new Uint8Array([1, 2, 3]), 'application/octet-stream'), 'invalid-argument');
  });

  it('a model refusal is a 400 FAILED_PRECONDITION whose message wraps the model server error; an unknown field is INVALID_ARGUMENT', async () => {
    const e = await fails(vertex().predict(PROD, { instances: [{ X: 1.0 }] }), 'failed-precondition');
    assert.equal(e.httpStatus, 400);
    assert.equal(JSON.parse(e.serverMessage!).error, "Failed to process element: 0 key: X of 'instances' list. Error: INVALID_ARGUMENT: JSON object: does not have named input: X");
    const u = await fails(vertex().predict(PROD, { instances: [1.0], signature_name: 'x' }), 'invalid-argument');
    assert.match(u.message, /Unknown name "signature_name"/);
    assert.equal(u.fieldViolations.length, 1);
    await fails(vertex().predict(EMPTY, { instances: [1.0] }), 'failed-precondition');
    await fails(vertex().predict('projects/servelens-demo/locations/us-central1/endpoints/404', { instances: [1.0] }), 'not-found');
    await fails(vertex().predict('projects/servelens-denied/locations/us-central1/endpoints/1', { instances: [1.0] }), 'permission-denied');
  });

  it('without a predictor the emulator answers 501 saying it has no local runner (no output is made up)', async () => {
    emu.setPredictor(undefined);
    const e = await fails(vertex().predict(PROD, { instances: [1.0] }), 'unimplemented');
    assert.equal(e.httpStatus, 501);
    assert.match(e.serverMessage!, /without a local runner/);
    await fails(legacy().predict('projects/servelens-demo/models/half_plus_two', { instances: [1.0] }), 'unimplemented');
    await fails(tfs().predict('half_plus_two', { instances: [1.0] }), 'unimplemented');
  });
});

describe('retries of predictions (read from the request log)', () => {
  it('a 503 then success: sent twice, answered once', async () => {
    emu.faults.add({ path: /:predict$/, kind: 'status', status: 503, times: 1 });
    const r = await vertex().predict(PROD, { instances: [1.0] });
    assert.deepEqual(r.json.predictions, [2.5]);
    assert.equal(r.attempts, 2);
    assert.equal(requests(/:predict$/).length, 2);
    assert.equal(calls.length, 1, 'the model ran once');
  });

  it('a 429 with Retry-After: 1 waits about a second before the second attempt', async () => {
    emu.faults.add({ path: /:predict$/, kind: 'status', status: 429, retryAfter: 1, times: 1 });
    const t0 = Date.now();
    const r = await legacy().predict('projects/servelens-demo/models/half_plus_two', { instances: [1.0] });
    const waited = Date.now() - t0;
    assert.equal(r.attempts, 2);
    assert.ok(waited >= 950, `waited ${waited} ms`);
    assert.equal(requests(/:predict$/).length, 2);
  });

  it('429 every time: gives up after the attempt budget with the quota error', async () => {
    emu.faults.add({ path: /:predict$/, kind: 'status', status: 429 });
    const e = await fails(tfs().predict('half_plus_two', { instances: [1.0] }), 'quota');
    assert.equal(e.attempts, 5);
    assert.equal(requests(/:predict$/).length, 5);
  });

  for (const status of [400, 500, 404, 409]) {
    it(`a ${status} is not retried: one request`, async () => {
      emu.faults.add({ path: /:predict$/, kind: 'status', status });
      await assert.rejects(vertex().predict(PROD, { instances: [1.0] }), CloudApiError);
      assert.equal(requests(/:predict$/).length, 1);
      assert.equal(calls.length, 0);
    });
  }

  it('a reset connection is not retried (the model may have run)', async () => {
    emu.faults.add({ path: /:explain$/, kind: 'reset' });
    await fails(vertex().explain(PROD, { instances: [1.0] }), 'network');
    assert.equal(requests(/:explain$/).length, 1);
  });

  it('a body cut short is a bad response, not retried', async () => {
    emu.faults.add({ path: /:predict$/, kind: 'truncate' });
    await assert.rejects(tfs().predict('half_plus_two', { instances: [1.0] }), (err) => isCloudError(err) && ['network', 'bad-response'].includes(err.reason));
    assert.equal(requests(/:predict$/).length, 1);
  });

  it('a time-out per attempt: no answer within timeoutMs is reason timeout, not retried', async () => {
    emu.faults.add({ path: /:predict$/, kind: 'latency', ms: 1500 });
    const t0 = Date.now();
    const e = await fails(vertex().predict(PROD, { instances: [1.0] }, { timeoutMs: 150 }), 'timeout');
    assert.ok(Date.now() - t0 < 1200);
    assert.equal(e.attempts, 1);
    assert.equal(requests(/:predict$/).length, 1);
  });

  it('cancel: aborting the signal ends the call with reason cancelled, also during a back-off pause', async () => {
    emu.faults.add({ path: /:predict$/, kind: 'latency', ms: 2000 });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 80);
    const t0 = Date.now();
    await fails(tfs().predict('half_plus_two', { instances: [1.0] }, {}, { signal: ac.signal }), 'cancelled');
    assert.ok(Date.now() - t0 < 1500);
    emu.faults.clear();
    emu.clearRequests();
    emu.faults.add({ path: /:predict$/, kind: 'status', status: 503, retryAfter: 5 });
    const ac2 = new AbortController();
    setTimeout(() => ac2.abort(), 150);
    const t1 = Date.now();
    await fails(vertex().predict(PROD, { instances: [1.0] }, { signal: ac2.signal }), 'cancelled');
    assert.ok(Date.now() - t1 < 2000);
    assert.equal(requests(/:predict$/).length, 1);
  });
});

describe('AI Platform predict / explain', () => {
  const MODEL = 'projects/servelens-demo/models/half_plus_two';

  it('predicts with the default version, or a named one; signatureName goes in the body as signature_name', async () => {
    const r = await legacy().predict(MODEL, { instances: [[1.0], [2.0]] });
    assert.deepEqual(r.json, { predictions: [[2.5], [3.0]] });
    assert.equal(r.text, JSON.stringify({ predictions: [[2.5], [3.0]] }, null, 2));
    assert.match(calls[0]!.modelDir, /saved_model_half_plus_two_2_versions[/\\]00000123$/);
    const v2 = await legacy().predict(`${MODEL}/versions/v2`, { instances: [3.0] }, { signatureName: 'serving_default' });
    assert.deepEqual(v2.json.predictions, [3.5]);
    assert.equal(calls[1]!.body.signature_name, 'serving_default');
    assert.match(calls[1]!.modelDir, /00000124$/);
    const log = requests(/:predict$/);
    assert.deepEqual(log.map((l) => l.path), [`/v1/${MODEL}:predict`, `/v1/${MODEL}/versions/v2:predict`]);
  });

  it('a bad signature_name is 400 {"error": ...}; a failure inside the model is HTTP 200 {"error": ...}: both typed', async () => {
    const e = await fails(legacy().predict(MODEL, { instances: [1.0], signature_name: 'predict' }), 'invalid-argument');
    assert.equal(e.httpStatus, 400);
    assert.equal(e.serverMessage, 'Serving signature name: "predict" not found in signature def');
    const m = await fails(legacy().predict(MODEL, { instances: [{ y: 1.0 }] }), 'invalid-argument');
    assert.equal(m.httpStatus, undefined, 'answered with HTTP 200');
    assert.match(m.serverMessage!, /^Prediction failed: Error during model execution: .*does not have named input: y/);
    assert.equal(requests(/:predict$/).length, 2);
  });

  it('a version that failed to deploy is FAILED_PRECONDITION; an unknown model is not-found', async () => {
    const e = await fails(legacy().predict('projects/servelens-demo/models/half_plus_three', { instances: [1.0] }), 'failed-precondition');
    assert.match(e.message, /Online prediction is unavailable for this version/);
    await fails(legacy().predict('projects/servelens-demo/models/nope', { instances: [1.0] }), 'not-found');
    await assert.rejects(() => legacy().predict('projects/servelens-demo/versions/v1', { instances: [1.0] }), /is not a AI Platform model or version name/);
  });

  it('explain answers explanations', async () => {
    const r = await legacy().explain(`${MODEL}/versions/v1`, { instances: [2.0] });
    const exp = r.json.explanations as { attributions: { featureAttributions: Record<string, number> }[] }[];
    assert.deepEqual(exp[0]!.attributions[0]!.featureAttributions, { x: 1 });
    assert.equal(calls[0]!.op, 'explain');
  });
});

describe('TF Serving predict / classify / regress', () => {
  it('row and columnar predict, as TF Serving answers them (its own test values)', async () => {
    const row = await tfs().predict('half_plus_two', { instances: [2.0, 3.0, 4.0] });
    assert.deepEqual(row.json, { predictions: [3.0, 3.5, 4.0] });
    const col = await tfs().predict('half_plus_two', '{"inputs": [2.0, 3.0, 4.0]}');
    assert.deepEqual(col.json, { outputs: [3.0, 3.5, 4.0] });
    assert.equal(calls[1]!.opts.format, 'columnar');
    const log = requests(/:predict$/);
    assert.equal(log[0]!.path, '/v1/models/half_plus_two:predict');
    assert.equal(log[0]!.authorization, false, 'no Google token goes to TF Serving');
  });

  it('classify and regress with examples; a version and a label select the servable', async () => {
    const c = await tfs().classify('half_plus_two', { signature_name: 'classify_x_to_y', examples: [{ x: 2.0 }] });
    assert.deepEqual(c.json, { results: [[['', 3.0]]] });
    const r = await tfs().regress('half_plus_two', { signature_name: 'regress_x_to_y', examples: [{ x: 80.0 }] });
    assert.deepEqual(r.json, { results: [42] });
    await tfs().predict('half_plus_two_2_versions', { instances: [1.0] }, { version: 124 });
    await tfs().predict('half_plus_two_2_versions', { instances: [1.0] }, { label: 'stable' });
    assert.match(calls[2]!.modelDir, /00000124$/);
    assert.match(calls[3]!.modelDir, /00000123$/);
    assert.deepEqual(requests(/half_plus_two_2_versions/).map((l) => l.path), [
      '/v1/models/half_plus_two_2_versions/versions/124:predict',
      '/v1/models/half_plus_two_2_versions/labels/stable:predict',
    ]);
  });

  it('verbForMethod maps a signature method name to the verb', () => {
    assert.equal(verbForMethod('tensorflow/serving/classify'), 'classify');
    assert.equal(verbForMethod('tensorflow/serving/regress'), 'regress');
    assert.equal(verbForMethod('tensorflow/serving/predict'), 'predict');
    assert.equal(verbForMethod(''), 'predict');
    assert.equal(verbForMethod(undefined), 'predict');
  });

  it('refusals are {"error": ...}: a bad signature, a method mismatch, an unknown alias, a servable not found', async () => {
    const s = await fails(tfs().predict('half_plus_two', { signature_name: 'serving', instances: [1.0] }), 'invalid-argument');
    assert.equal(s.serverMessage, 'Serving signature name: "serving" not found in signature def');
    const m = await fails(tfs().classify('half_plus_two', { examples: [{ x: 1 }] }), 'invalid-argument');
    assert.equal(m.serverMessage, 'Expected classification signature method_name to be tensorflow/serving/classify. Was: tensorflow/serving/predict');
    const a = await fails(tfs().predict('half_plus_two', { inputs: { z: [1.0] } }), 'invalid-argument');
    assert.match(a.serverMessage!, /input tensor alias not found in signature: z/);
    const n = await fails(tfs().predict('nope', { instances: [1.0] }), 'not-found');
    assert.equal(n.serverMessage, 'Servable not found for request: Latest(nope)');
    await fails(tfs(http(), '/tfs-broken').predict('half_plus_two', { instances: [1.0] }), 'not-found');
    await fails(tfs().predict('half_plus_two', { instances: [1.0], inputs: [1.0] }), 'invalid-argument');
  });

  it('an {"error": ...} in a 200 answer is an error too; a non-JSON answer is bad-response', async () => {
    emu.faults.add({ path: /:predict$/, kind: 'status', status: 200, body: { error: 'Prediction failed: boom' }, times: 1 });
    const e = await fails(tfs().predict('half_plus_two', { instances: [1.0] }), 'invalid-argument');
    assert.equal(e.serverMessage, 'Prediction failed: boom');
    emu.faults.add({ path: /:predict$/, kind: 'status', status: 200, body: 'not json', times: 1 });
    await fails(tfs().predict('half_plus_two', { instances: [1.0] }), 'bad-response');
  });

  it('Basic credentials in the URL go as Authorization, never a Google token, and stay out of errors', async () => {
    const client = new TfServingClient({ http: http(), baseUrl: emu.url.replace('http://', 'http://user:s3cret-passw0rd@') });
    emu.faults.add({ path: /:predict$/, kind: 'status', status: 400, times: 1 });
    const e = await fails(client.predict('half_plus_two', { instances: [1.0] }), 'invalid-argument');
    assert.ok(!e.message.includes('s3cret-passw0rd'));
    assert.equal(requests(/:predict$/)[0]!.authorization, true);
  });
});

describe('HttpClient: retryStatuses of a POST that is not idempotent (substituted transport)', () => {
  function scripted(answers: (number | 'reset')[]): { transport: Transport; sent: TransportRequest[] } {
    const sent: TransportRequest[] = [];
    const transport: Transport = {
      async send(req) {
        sent.push(req);
        const a = answers[Math.min(sent.length - 1, answers.length - 1)]!;
        if (a === 'reset') throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
        const body = a === 200 ? '{"ok":true}' : '{"error":{"code":503,"message":"busy","status":"UNAVAILABLE"}}';
        return { status: a, headers: new Headers({ 'content-type': 'application/json' }), body: (async function* () { yield Buffer.from(body); })() };
      },
    };
    return { transport, sent };
  }
  const spec = { method: 'POST' as const, url: 'https://example.test/v1/x:predict', service: 'vertex' as const, body: new Uint8Array([123, 125]), headers: { 'content-type': 'application/json' } };

  it('without retryStatuses a 503 is final; with [503] it is sent again; the raw body goes byte for byte', async () => {
    const a = scripted([503, 200]);
    await assert.rejects(new HttpClient({ transport: a.transport, retry: { initialDelayMs: 1 } }).json(spec), CloudApiError);
    assert.equal(a.sent.length, 1);
    const b = scripted([503, 200]);
    const attempts: number[] = [];
    const got = await new HttpClient({ transport: b.transport, retry: { initialDelayMs: 1 } }).request({ ...spec, retryStatuses: [503] }, async (res) => {
      attempts.push(res.attempts);
      return res.status;
    });
    assert.equal(got, 200);
    assert.deepEqual(attempts, [2]);
    assert.equal(b.sent.length, 2);
    assert.deepEqual([...(b.sent[1]!.body as Uint8Array)], [123, 125]);
    assert.equal(b.sent[1]!.headers['content-type'], 'application/json');
  });

  it('a reset is not retried even with retryStatuses', async () => {
    const c = scripted(['reset', 200]);
    await assert.rejects(new HttpClient({ transport: c.transport, retry: { initialDelayMs: 1 } }).json({ ...spec, retryStatuses: [429, 503] }), (e) => isCloudError(e, 'network'));
    assert.equal(c.sent.length, 1);
  });
});

describe('no token anywhere', () => {
  it('no error, hint or log line of this file holds the token', () => {
    assert.ok(seen.length > 20);
    for (const s of seen) assert.ok(!s.includes(TOKEN), s);
  });
});
