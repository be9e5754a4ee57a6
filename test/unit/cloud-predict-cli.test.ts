/**
 * `servelens predict|explain` against cloud targets (src/cli/cloudPredict.ts), called as the command
 * table will call it, against the emulator with a half_plus_two predictor: the exact body on
 * stdout, --json, every target form, failures explained against the model's real signature (TF
 * Serving metadata, the artifact's saved_model.pb through the emulator's Cloud Storage), exit codes
 * 0/1/2, and no token in any output. Also send()'s dispatch of the local kind.
 */
import { strict as assert } from 'node:assert';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { runCloudExplain, runCloudPredict } from '../../src/cli/cloudPredict';
import type { CliIo } from '../../src/cli/io';
import type { CliValues } from '../../src/cli/commands';
import { send } from '../../src/core/predict/target';
import { startEmulator, type Emulator } from '../emulator/server';
import { halfPlusTwoPredictor } from '../helpers/half-plus-two-predictor';

const TOKEN = 'ya29.servelens-test-token';
const PROD = 'projects/servelens-demo/locations/us-central1/endpoints/2281564539145093120';
let emu: Emulator;
let dir: string;
const saved = { ...process.env };
const outputs: string[] = [];

before(async () => {
  emu = await startEmulator({ predictor: halfPlusTwoPredictor() });
  dir = await mkdtemp(join(tmpdir(), 'servelens-cli-predict-'));
  process.env.SERVELENS_ACCESS_TOKEN = TOKEN;
  delete process.env.SERVELENS_API_ENDPOINT;
});
after(async () => {
  for (const k of ['SERVELENS_ACCESS_TOKEN', 'SERVELENS_API_ENDPOINT']) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
  await emu.close();
  await rm(dir, { recursive: true, force: true });
});
beforeEach(() => {
  emu.reset();
  emu.setPredictor(halfPlusTwoPredictor());
});

async function file(name: string, text: string): Promise<string> {
  const p = join(dir, name);
  await writeFile(p, text);
  return p;
}

async function cli(op: 'predict' | 'explain', positionals: string[], values: CliValues): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIo = { out: (t) => (out += t), err: (t) => (err += `${t}\n`), isTty: false };
  const code = await (op === 'predict' ? runCloudPredict : runCloudExplain)(values, positionals, io);
  outputs.push(out, err);
  return { code, out, err };
}
const api = () => ({ 'api-endpoint': emu.url });

describe('servelens predict|explain (cloud)', () => {
  it('Vertex AI: stdout is the response body exactly; stderr says latency, sizes and the deployed model', async () => {
    const req = await file('a.request.json', '{"instances": [1.0, 2.0, 5.0]}\n');
    const r = await cli('predict', [req], { endpoint: PROD, ...api() });
    assert.equal(r.code, 0, r.err);
    const body = JSON.parse(r.out) as Record<string, unknown>;
    assert.deepEqual(body.predictions, [2.5, 3.0, 4.5]);
    assert.equal(body.deployedModelId, '6025781412435673088');
    assert.match(r.err, /^predict: HTTP 200 in [\d.]+ ms, 31 B sent, \d+ B received; deployed model 6025781412435673088 \(half_plus_two v1\)/);
    assert.equal(emu.requests().filter((q) => q.path.endsWith(':predict')).length, 1);
  });

  it('--json: one object with the response and the call facts', async () => {
    const req = await file('b.json', '{"instances": [[3.0]]}');
    const r = await cli('predict', [req], { endpoint: PROD, json: true, ...api() });
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out) as Record<string, unknown>;
    assert.equal(j.ok, true);
    assert.equal(j.target, PROD);
    assert.deepEqual((j.response as Record<string, unknown>).predictions, [[3.5]]);
    assert.equal(j.modelVersionId, '1');
    assert.equal(j.requestBytes, Buffer.byteLength('{"instances": [[3.0]]}'));
    assert.equal(typeof j.latencyMs, 'number');
  });

  it('explain on Vertex AI with --deployed-model; on AI Platform', async () => {
    const req = await file('c.json', '{"instances": [4.0]}');
    const r = await cli('explain', [req], { endpoint: PROD, 'deployed-model': '6025781412435673088', ...api() });
    assert.equal(r.code, 0, r.err);
    assert.equal((JSON.parse(r.out) as { deployedModelId: string }).deployedModelId, '6025781412435673088');
    const l = await cli('explain', [req], { version: 'projects/servelens-demo/models/half_plus_two/versions/v1', ...api() });
    assert.equal(l.code, 0, l.err);
    assert.ok(Array.isArray((JSON.parse(l.out) as { explanations: unknown[] }).explanations));
  });

  it('AI Platform: --version of a model (default version) or a version, --signature as signature_name', async () => {
    const req = await file('d.json', '{"instances": [2.0]}');
    const r = await cli('predict', [req], { version: 'projects/servelens-demo/models/half_plus_two', signature: 'serving_default', ...api() });
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(JSON.parse(r.out), { predictions: [3] });
  });

  it('TF Serving: the URL form and --model-name; --signature picks :classify from the metadata', async () => {
    const req = await file('e.json', '{"instances": [2.0, 3.0, 4.0]}');
    const a = await cli('predict', [req], { 'tf-serving': `${emu.url}/v1/models/half_plus_two_2_versions/versions/124` });
    assert.equal(a.code, 0, a.err);
    assert.deepEqual(JSON.parse(a.out), { predictions: [3.0, 3.5, 4.0] });
    const ex = await file('f.json', '{"examples": [{"x": 2.0}]}');
    const c = await cli('predict', [ex], { 'tf-serving': emu.url, 'model-name': 'half_plus_two', signature: 'classify_x_to_y' });
    assert.equal(c.code, 0, c.err);
    assert.deepEqual(JSON.parse(c.out), { results: [[['', 3.0]]] });
    assert.ok(emu.requests().some((q) => q.path === '/v1/models/half_plus_two:classify'));
    assert.ok(emu.requests().filter((q) => q.path.startsWith('/v1/models/')).every((q) => !q.authorization), 'no Google token to TF Serving');
  });

  it('a failure is explained against the signature: TF Serving metadata names the signatures', async () => {
    const req = await file('g.json', '{"signature_name": "serving_defualt", "instances": [1.0]}');
    const r = await cli('predict', [req], { 'tf-serving': `${emu.url}/v1/models/half_plus_two` });
    assert.equal(r.code, 1);
    assert.match(r.err, /The model has no signature "serving_defualt"; it has "serving_default"/);
    assert.match(r.err, /Did you mean "serving_default"\?/);
    assert.match(r.err, /server said \(HTTP 400\): Serving signature name: "serving_defualt" not found in signature def/);
    assert.equal(emu.requests().filter((q) => q.path.endsWith(':predict')).length, 1, 'not retried');
  });

  it('Vertex AI: the signature comes from the deployed model\'s artifact in Cloud Storage', async () => {
    const req = await file('h.json', '{"instances": [{"X": [1.0]}]}');
    const r = await cli('predict', [req], { endpoint: PROD, ...api() });
    assert.equal(r.code, 1);
    assert.match(r.err, /Signature "serving_default" has no input "X"; its inputs are x \(float \[-1, 1\]\)/);
    assert.match(r.err, /Did you mean "x"\?/);
    assert.ok(emu.requests().some((q) => q.path.startsWith('/storage/v1/b/servelens-fixtures/o') || q.path.startsWith('/download/storage/')), 'read the artifact');
    const j = await cli('predict', [req], { endpoint: PROD, json: true, ...api() });
    const body = JSON.parse(j.out) as { ok: boolean; error: { reason: string; httpStatus: number }; diagnosis: { code: string; didYouMean: string } };
    assert.equal(body.ok, false);
    assert.equal(body.error.reason, 'failed-precondition');
    assert.equal(body.error.httpStatus, 400);
    assert.equal(body.diagnosis.code, 'input-alias');
    assert.equal(body.diagnosis.didYouMean, 'x');
  });

  it('404 and 403: the next step', async () => {
    const req = await file('i.json', '{"instances": [1.0]}');
    const n = await cli('predict', [req], { endpoint: 'projects/servelens-demo/locations/us-central1/endpoints/999', ...api() });
    assert.equal(n.code, 1);
    assert.match(n.err, /does not exist in project/);
    const d = await cli('predict', [req], { endpoint: 'projects/servelens-denied/locations/us-central1/endpoints/1', ...api() });
    assert.equal(d.code, 1);
    assert.match(d.err, /roles\/aiplatform\.user/);
  });

  it('usage errors exit 2; an unreadable or non-JSON request file exits 1', async () => {
    const req = await file('j.json', '{"instances": [1.0]}');
    assert.equal((await cli('predict', [req], {})).code, 2);
    assert.equal((await cli('predict', [], { endpoint: PROD })).code, 2);
    assert.equal((await cli('predict', [req], { endpoint: PROD, version: 'projects/p/models/m' })).code, 2);
    assert.equal((await cli('predict', [req], { endpoint: PROD, 'deployed-model': '1' })).code, 2);
    assert.equal((await cli('predict', [req], { endpoint: 'endpoints/1' })).code, 2);
    assert.equal((await cli('predict', [req], { endpoint: PROD, timeout: 'soon' })).code, 2);
    assert.equal((await cli('predict', [req], { 'tf-serving': emu.url })).code, 2, 'no model name');
    const t = await cli('explain', [req], { 'tf-serving': `${emu.url}/v1/models/half_plus_two` });
    assert.equal(t.code, 2);
    assert.match(t.err, /TF Serving has no Explain/);
    assert.equal((await cli('predict', [join(dir, 'missing.json')], { endpoint: PROD, ...api() })).code, 1);
    const bad = await cli('predict', [await file('k.json', '{"instances": [1.0,')], { endpoint: PROD, ...api() });
    assert.equal(bad.code, 1);
    assert.match(bad.err, /is not JSON/);
  });

  it('--timeout: no answer in time is exit 1 with the time-out step', async () => {
    emu.faults.add({ path: /:predict$/, kind: 'latency', ms: 1500 });
    const req = await file('l.json', '{"instances": [1.0]}');
    const r = await cli('predict', [req], { endpoint: PROD, timeout: '0.2', ...api() });
    assert.equal(r.code, 1);
    assert.match(r.err, /--timeout S/);
  });

  it('no output holds the token', () => {
    assert.ok(outputs.length > 10);
    for (const o of outputs) assert.ok(!o.includes(TOKEN), o);
  });
});

describe('send(): the local kind', () => {
  it('goes to the injected local runner with the signature; without one it is a usage error', async () => {
    const seen: unknown[] = [];
    const r = await send({ kind: 'local', modelPath: '/models/m' }, '{"instances": [1]}', 'explain', {
      local: async (modelPath, body, op, opts) => {
        seen.push({ modelPath, body, op, opts });
        return { text: '{"explanations":[]}', json: { explanations: [] }, latencyMs: 1, requestBytes: 18, responseBytes: 19, status: 200, attempts: 1, url: 'local:/models/m' };
      },
    }, { signature: 'serving_default' });
    assert.equal(r.op, 'explain');
    assert.deepEqual(r.target, { kind: 'local', modelPath: '/models/m' });
    assert.deepEqual(seen, [{ modelPath: '/models/m', body: '{"instances": [1]}', op: 'explain', opts: { signature: 'serving_default' } }]);
    await assert.rejects(send({ kind: 'local', modelPath: '/m' }, '{}', 'predict', {}), /needs the local runner/);
  });
});
