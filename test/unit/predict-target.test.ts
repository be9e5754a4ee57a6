/**
 * PredictTarget: from the binding file's targets, names and labels (no password), and send() to
 * each cloud kind against the emulator — Vertex AI with a signature other than serving_default goes
 * through :rawPredict with signature_name; TF Serving's verb; AI Platform's signature_name.
 */
import { strict as assert } from 'node:assert';
import { resolve } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { FixedTokenSource } from '../../src/core/cloud/auth';
import { HttpClient } from '../../src/core/cloud/http';
import { parseTfServingUrl, send, targetFromBinding, targetLabel, targetName, type PredictTarget } from '../../src/core/predict/target';
import { startEmulator, type Emulator } from '../emulator/server';
import { halfPlusTwoPredictor, type PredictorCall } from '../helpers/half-plus-two-predictor';

const PROD = 'projects/servelens-demo/locations/us-central1/endpoints/2281564539145093120';
let emu: Emulator;
const calls: PredictorCall[] = [];
before(async () => {
  emu = await startEmulator({ predictor: halfPlusTwoPredictor(calls) });
});
after(async () => {
  await emu.close();
});
beforeEach(() => {
  emu.reset();
  calls.length = 0;
});
const deps = () => ({ http: new HttpClient({ credentials: new FixedTokenSource('ya29.servelens-test-token') }), apiEndpoint: emu.url });

describe('targets', () => {
  it('from binding targets', () => {
    assert.deepEqual(targetFromBinding({ endpoint: PROD }), { kind: 'vertex', endpoint: PROD });
    assert.deepEqual(targetFromBinding({ version: 'projects/demo/models/m/versions/v3' }), { kind: 'ai-platform', model: 'projects/demo/models/m', version: 'v3' });
    assert.deepEqual(targetFromBinding({ version: 'projects/demo/models/m' }), { kind: 'ai-platform', model: 'projects/demo/models/m' });
    assert.deepEqual(targetFromBinding({ tfServing: 'http://localhost:8501/v1/models/half_plus_two/labels/stable' }), { kind: 'tf-serving', url: 'http://localhost:8501', model: 'half_plus_two', label: 'stable' });
    assert.deepEqual(targetFromBinding({ model: 'models/hp2' }, '/ws'), { kind: 'local', modelPath: resolve('/ws', 'models/hp2') });
    assert.throws(() => targetFromBinding({ endpoint: 'projects/p/endpoints/e' }), /not a Vertex AI endpoint name/);
    assert.throws(() => parseTfServingUrl('http://h:8501/v2/x'), /does not name a model/);
  });

  it('names and labels never carry a TF Serving password', () => {
    const t = parseTfServingUrl('http://bob:hunter2-secret@h:8501/v1/models/m/versions/7');
    assert.equal(t.version, '7');
    assert.equal(targetName(t), 'http://h:8501/v1/models/m/versions/7');
    assert.equal(targetLabel(t), 'TF Serving m v7');
    assert.equal(targetLabel({ kind: 'vertex', endpoint: PROD }), 'Vertex AI endpoint 2281564539145093120 (us-central1)');
    assert.equal(targetLabel({ kind: 'ai-platform', model: 'projects/p/models/m' }), 'AI Platform m (default version)');
  });
});

describe('send() to the cloud kinds', () => {
  it('Vertex AI predict; another signature through :rawPredict with signature_name', async () => {
    const t: PredictTarget = { kind: 'vertex', endpoint: PROD };
    const a = await send(t, { instances: [1.0] }, 'predict', deps());
    assert.deepEqual(a.json.predictions, [2.5]);
    assert.equal(a.modelDisplayName, 'half_plus_two');
    const b = await send(t, { instances: [2.0] }, 'predict', deps(), { signature: 'regress_x2_to_y3' });
    assert.equal(calls.at(-1)!.opts.signature, 'regress_x2_to_y3');
    assert.deepEqual(b.json, { predictions: [4] });
    assert.ok(b.deployedModelId, 'from the X-Vertex-AI-Deployed-Model-Id header');
    assert.ok(emu.requests().some((r) => r.path.endsWith(':rawPredict')));
    // The request file's own text, which names the signature itself, goes to :rawPredict as is.
    const text = '{"signature_name": "regress_x2_to_y3", "instances": [2.0]}';
    const c = await send(t, text, 'predict', deps(), { signature: 'regress_x2_to_y3' });
    assert.deepEqual(c.json, { predictions: [4] });
    await assert.rejects(send(t, { instances: [1] }, 'explain', deps(), { signature: 'other' }), /serving_default signature only/);
  });

  it('AI Platform with signature_name; TF Serving with the verb and a version', async () => {
    const l = await send({ kind: 'ai-platform', model: 'projects/servelens-demo/models/half_plus_two', version: 'v2' }, '{"instances": [1.0]}', 'predict', deps(), { signature: 'serving_default' });
    assert.deepEqual(l.json.predictions, [2.5]);
    assert.equal(calls.at(-1)!.body.signature_name, 'serving_default');
    const r = await send({ kind: 'tf-serving', url: emu.url, model: 'half_plus_two' }, { examples: [{ x: 80.0 }] }, 'predict', deps(), { signature: 'regress_x_to_y', method: 'regress' });
    assert.deepEqual(r.json, { results: [42] });
    assert.ok(emu.requests().some((q) => q.path === '/v1/models/half_plus_two:regress'));
    await assert.rejects(send({ kind: 'vertex', endpoint: PROD }, '{}', 'predict', {}), /needs an HttpClient/);
  });
});
