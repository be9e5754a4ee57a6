import { strict as assert } from 'node:assert';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Engine, explain, predict, RunnerError, RunnerHost } from '../../src/core/runner/index';
import { buildExecutable } from '../../src/core/runner/graph';
import { decodeExample, encodeExample } from '../../src/core/runner/example';
import { float32Json } from '../../src/core/runner/values';
import { savedModel } from '../helpers/fixtures';

const HPT = savedModel('saved_model_half_plus_two_cpu');
const TWO = savedModel('saved_model_half_plus_two_2_versions');
const TF2 = savedModel('saved_model_half_plus_two_tf2_cpu');

function close(a: unknown, b: number[], eps = 1e-6): void {
  assert.ok(Array.isArray(a), `expected a list, got ${JSON.stringify(a)}`);
  assert.equal(a.length, b.length, JSON.stringify(a));
  a.forEach((x, i) => assert.ok(Math.abs(Number(x) - b[i]!) <= eps, `${JSON.stringify(a)} vs ${JSON.stringify(b)}`));
}

async function rejectsRunner(p: Promise<unknown>, reason: string, re: RegExp): Promise<RunnerError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof RunnerError, `not a RunnerError: ${String(err)}`);
    assert.equal(err.reason, reason, err.message);
    assert.match(err.message, re);
    return err;
  }
  assert.fail('expected a rejection');
}

describe('local runner: the fixtures answer what upstream asserts', () => {
  it('half_plus_two (TF1): Docker smoke test, REST predict and columnar', async () => {
    const smoke = await predict(HPT, '{"instances":[1.0,2.0,5.0]}');
    assert.deepEqual(smoke.body, { predictions: [2.5, 3, 4.5] });
    assert.match(smoke.backend, /^(wasm|cpu)$/);
    assert.equal(JSON.stringify(smoke.body), '{"predictions":[2.5,3,4.5]}');
    close((await predict(HPT, '{"instances":[2.0,3.0,4.0]}')).body.predictions, [3, 3.5, 4]);
    assert.deepEqual((await predict(HPT, '{"inputs":[2.0,3.0,4.0]}')).body, { outputs: [3, 3.5, 4] });
  });

  it('half_plus_two: classify and regress on JSON examples, and the x2 signatures', async () => {
    assert.deepEqual((await predict(HPT, { signature_name: 'classify_x_to_y', examples: [{ x: 2.0 }] }, { method: 'classify' })).body, { results: [[['', 3]]] });
    assert.deepEqual((await predict(HPT, { signature_name: 'regress_x_to_y', examples: [{ x: 2.0 }] }, { method: 'regress' })).body, { results: [3] });
    // y2 = 0.5x + 3; extra features are ignored; x2 defaults to 0 so y3 = 3.
    assert.deepEqual((await predict(HPT, { signature_name: 'regress_x_to_y2', examples: [{ x: 2.0, locale: 'en', age: 7 }] }, { method: 'regress' })).body, { results: [4] });
    assert.deepEqual((await predict(HPT, { signature_name: 'regress_x2_to_y3', instances: [2.0] })).body, { predictions: [4] });
    // The context's features reach every example.
    assert.deepEqual((await predict(HPT, { signature_name: 'regress_x_to_y', context: { x: 4.0 }, examples: [{}, { x: 6.0 }] }, { method: 'regress' })).body, { results: [4, 5] });
  });

  it('a required feature missing from an example is a request error, not a wrong answer', async () => {
    await rejectsRunner(predict(HPT, { signature_name: 'regress_x_to_y', examples: [{ x2: 1.0 }] }, { method: 'regress' }), 'invalid-request', /feature "x".*required/);
  });

  it('half_plus_two_2_versions: TF Serving handler tests (two versions, the highest served)', async () => {
    assert.deepEqual((await predict(TWO, '{"instances":[[1.0,2.0],[3.0,4.0]]}')).body, { predictions: [[2.5, 3], [3.5, 4]] });
    assert.deepEqual((await predict(TWO, '{"instances":[3.0,4.0]}')).body, { predictions: [3.5, 4] });
    assert.deepEqual((await predict(TWO, '{"inputs":[3.0,4.0]}')).body, { outputs: [3.5, 4] });
    assert.deepEqual((await predict(TWO, { signature_name: 'regress_x_to_y', examples: [{ x: 80.0 }] }, { method: 'regress' })).body, { results: [42] });
    assert.deepEqual((await predict(TWO, { signature_name: 'classify_x_to_y', examples: [{ x: 20.0 }] }, { method: 'classify' })).body, { results: [[['', 12]]] });
    assert.deepEqual((await predict(TWO, { signature_name: 'classify_x_to_y', examples: [{ x: 10.0 }] }, { method: 'classify' })).body, { results: [[['', 7]]] });
    assert.deepEqual((await predict(TWO, { signature_name: 'classify_x2_to_y3', inputs: [2.0] })).body, { outputs: [4] });
    const v123 = await Engine.open(TWO, { version: '123' });
    assert.equal(v123.resolved.version, '00000123');
    const e124 = await Engine.open(TWO);
    assert.equal(e124.resolved.version, '00000124');
  });

  it('half_plus_three: y = 0.5x + 3 (no shapes in the signature)', async () => {
    assert.deepEqual((await predict(savedModel('saved_model_half_plus_three'), '{"instances":[2.0]}')).body, { predictions: [4] });
  });

  it('half_plus_two TF2: function calls inlined, variables from the object graph', async () => {
    assert.deepEqual((await predict(TF2, '{"instances":[2.0]}')).body, { predictions: [3] });
    assert.deepEqual((await predict(TF2, { signature_name: 'classify_x_to_y', examples: [{ x: 2.0 }] }, { method: 'classify' })).body, { results: [[['', 3]]] });
    assert.deepEqual((await predict(TF2, { signature_name: 'regress_x_to_y', examples: [{ x: 2.0 }] }, { method: 'regress' })).body, { results: [3] });
    assert.deepEqual((await predict(TF2, { signature_name: 'regress_x_to_y2', examples: [{ x: 2.0 }] }, { method: 'regress' })).body, { results: [4] });
    assert.deepEqual((await predict(TF2, { signature_name: 'classify_x2_to_y3', instances: [2.0] })).body, { predictions: [4] });
  });

  it('times_three_float and times_two_int (tfjs-node saved_model_test)', async () => {
    assert.deepEqual((await predict(savedModel('times_three_float'), '{"instances":[1,2,3]}')).body, { predictions: [3, 6, 9] });
    assert.deepEqual((await predict(savedModel('times_three_float'), '{"instances":[{"x":1.5}]}')).body, { predictions: [4.5] });
    const int = await predict(savedModel('times_two_int'), '{"inputs":[1,2,3]}');
    assert.deepEqual(int.body, { outputs: [2, 4, 6] });
    await rejectsRunner(predict(savedModel('times_three_float'), '{"instances":[1]}', { signature: 'wrong_signature' }), 'invalid-request', /wrong_signature/);
    await rejectsRunner(predict(savedModel('times_three_float'), '{"instances":[{"xyz":1}]}'), 'invalid-request', /"x"/);
  });

  it('half_plus_two_pbtxt: the text format is read, and the missing checkpoint is named', async () => {
    const e = await Engine.open(savedModel('half_plus_two_pbtxt'));
    assert.deepEqual(e.signatures.map((s) => s.name).sort(), ['serving_default', 'tensorflow/serving/regress']);
    await rejectsRunner(predict(savedModel('half_plus_two_pbtxt'), '{"instances":[1.0]}'), 'unsupported-model', /Variable "a".*no variables\/ folder/);
  });

  it('float32 values print as TF Serving prints them', () => {
    assert.equal(float32Json(Math.fround(0.1)), 0.1);
    assert.equal(float32Json(Math.fround(2.5)), 2.5);
    assert.equal(float32Json(3), 3);
    assert.equal(float32Json(Math.fround(1 / 3)), 0.33333334);
  });

  it('tf.Example protos round-trip through our own schema', () => {
    const bytes = encodeExample(new Map([['x', { floats: [2] }], ['id', { ints: [7] }], ['s', { bytes: [new Uint8Array([0, 255])] }]]));
    const back = decodeExample(bytes, 0);
    assert.deepEqual(back.get('x'), { floats: [2] });
    assert.deepEqual(back.get('id'), { ints: [7] });
    const s = back.get('s');
    assert.ok(s && 'bytes' in s);
    assert.deepEqual(s.bytes.map((b) => Array.from(b)), [[0, 255]]);
  });
});

describe('local runner: refusals before running', () => {
  it('an op the engine cannot run is a typed error naming op, node, signature and an alternative', async () => {
    const mg = {
      graph_def: {
        node: [
          { name: 'img', op: 'Placeholder', input: [], attr: {} },
          { name: 'decode', op: 'DecodeJpeg', input: ['img'], attr: {} },
          { name: 'out', op: 'Identity', input: ['decode'], attr: {} },
        ],
      },
    };
    const err = await rejectsRunner(
      buildExecutable({ mg, signature: 'serving_default', feeds: [{ tensor: 'img:0', dtype: 'string' }], fetches: ['out:0'], nextParseId: () => 1 }),
      'unsupported-op',
      /op DecodeJpeg \(node "decode", needed by signature "serving_default"\)/,
    );
    assert.equal(err.op, 'DecodeJpeg');
    assert.equal(err.node, 'decode');
    assert.match(err.hint ?? '', /decode the image before the request/);
  });

  it('control flow over library functions is refused with the reason', async () => {
    const mg = { graph_def: { node: [{ name: 'x', op: 'Placeholder', input: [], attr: {} }, { name: 'w', op: 'StatelessWhile', input: ['x'], attr: {} }] } };
    await rejectsRunner(buildExecutable({ mg, signature: 's', feeds: [{ tensor: 'x:0', dtype: 'float32' }], fetches: ['w:0'], nextParseId: () => 1 }), 'unsupported-op', /StatelessWhile.*control flow/);
  });

  it('a request the validator rejects stops before the model runs', async () => {
    await rejectsRunner(predict(HPT, '{"instances":[{"y":1.0}]}'), 'invalid-request', /line 1, column \d+: .*"y"/);
    await rejectsRunner(predict(HPT, '{"instances":[1.0]}', { format: 'vertex' }).then(() => predict(HPT, '{"inputs":[1.0]}', { format: 'vertex' })), 'invalid-request', /Vertex AI takes \{"instances"/);
  });
});

describe('local runner: explain', () => {
  it('sampled Shapley on half_plus_two: attributions sum to instance - baseline', async () => {
    const r = await explain(HPT, '{"instances":[2.0, 6.0]}', { pathCount: 5 });
    assert.deepEqual(r.body.predictions, [3, 5]);
    assert.equal(r.body.explanations.length, 2);
    const [a, b] = r.body.explanations.map((e) => e.attributions[0]!);
    assert.equal(a!.baselineOutputValue, 2);
    assert.equal(a!.instanceOutputValue, 3);
    assert.equal(a!.featureAttributions.x, 1);
    assert.equal(a!.outputName, 'y');
    assert.equal(b!.featureAttributions.x, 3);
    for (const at of [a!, b!]) {
      const sum = Number(at.featureAttributions.x);
      assert.ok(Math.abs(sum - (at.instanceOutputValue - at.baselineOutputValue)) <= at.approximationError + 1e-6);
    }
  });

  it('integrated gradients on half_plus_two: 0.5 * x, complete', async () => {
    const r = await explain(HPT, '{"instances":[4.0]}', { method: 'integrated-gradients', stepCount: 20 });
    const at = r.body.explanations[0]!.attributions[0]!;
    assert.ok(Math.abs(Number(at.featureAttributions.x) - 2) < 1e-5, JSON.stringify(at));
    assert.ok(Math.abs(Number(at.featureAttributions.x) - (at.instanceOutputValue - at.baselineOutputValue)) <= at.approximationError + 1e-5);
  });

  it('integrated gradients on an int model says it is not available and suggests sampled Shapley', async () => {
    const err = await rejectsRunner(explain(savedModel('times_two_int'), '{"instances":[3]}', { method: 'integrated-gradients' }), 'not-available', /Integrated gradients is not available.*int32/);
    assert.match(err.hint ?? '', /sampled Shapley/);
    const shapley = await explain(savedModel('times_two_int'), '{"instances":[3]}');
    assert.equal(shapley.body.explanations[0]!.attributions[0]!.featureAttributions.x, 6);
  });
});

describe('local runner: the worker', () => {
  const hosts: RunnerHost[] = [];
  after(async () => {
    for (const h of hosts) await h.close();
  });

  it('runs in a worker thread, and a cancelled run rejects and leaves the host usable', async () => {
    const h = new RunnerHost({ model: HPT });
    hosts.push(h);
    const info = await h.info();
    assert.equal(info.format, 'savedmodel');
    assert.ok(info.signatures.some((s) => s.name === 'classify_x_to_y'));
    assert.deepEqual((await h.predict('{"instances":[1.0,2.0,5.0]}')).body, { predictions: [2.5, 3, 4.5] });
    // A run that would take minutes (2000 instances × 50 Shapley paths), cancelled while it runs.
    const ac = new AbortController();
    const t0 = Date.now();
    const run = h.explain(JSON.stringify({ instances: Array.from({ length: 2000 }, (_, i) => i / 10) }), { pathCount: 50, signal: ac.signal });
    setTimeout(() => ac.abort(), 300);
    await rejectsRunner(run, 'cancelled', /cancelled/);
    assert.ok(Date.now() - t0 < 5000, `cancel took ${Date.now() - t0} ms`);
    await rejectsRunner(h.predict('{"instances":[1.0]}', { signal: ac.signal }), 'cancelled', /cancelled/);
    assert.deepEqual((await h.predict('{"instances":[4.0]}')).body, { predictions: [4] });
  });

  it('refuses a body over the size bound before it reaches the worker', async () => {
    const h = new RunnerHost({ model: HPT, maxBodyBytes: 64 });
    hosts.push(h);
    await rejectsRunner(h.predict(JSON.stringify({ instances: Array.from({ length: 100 }, () => 1.5) })), 'too-large', /at most 64 bytes/);
  });

  it('errors from the worker keep their reason', async () => {
    const h = new RunnerHost({ model: HPT });
    hosts.push(h);
    await rejectsRunner(h.predict('{"instances":[1.0]}', { signature: 'nope' }), 'invalid-request', /no "nope" signature/);
  });
});

describe('local runner: tfjs graph models', () => {
  let dir = '';
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('loads model.json + weight shards through our file IO handler and runs it', async () => {
    dir = await mkdtemp(join(tmpdir(), 'servelens-tfjs-'));
    // y = relu(x · W + b), W = [[1, -1], [2, 0.5]], b = [0.5, -0.25]; two shards.
    const w = new Float32Array([1, -1, 2, 0.5]);
    const b = new Float32Array([0.5, -0.25]);
    await writeFile(join(dir, 'group1-shard1of2.bin'), new Uint8Array(w.buffer));
    await writeFile(join(dir, 'group1-shard2of2.bin'), new Uint8Array(b.buffer));
    const f32 = { type: 'DT_FLOAT' };
    const dims = (...d: number[]) => ({ dim: d.map((s) => ({ size: String(s) })) });
    const json = {
      format: 'graph-model',
      generatedBy: '2.15.0',
      convertedBy: 'TensorFlow.js Converter v4.22.0',
      signature: {
        inputs: { features: { name: 'features:0', dtype: 'DT_FLOAT', tensorShape: dims(-1, 2) } },
        outputs: { scores: { name: 'Identity:0', dtype: 'DT_FLOAT', tensorShape: dims(-1, 2) } },
      },
      modelTopology: {
        node: [
          { name: 'W', op: 'Const', attr: { value: { tensor: { dtype: 'DT_FLOAT', tensorShape: dims(2, 2) } }, dtype: f32 } },
          { name: 'b', op: 'Const', attr: { value: { tensor: { dtype: 'DT_FLOAT', tensorShape: dims(2) } }, dtype: f32 } },
          { name: 'features', op: 'Placeholder', attr: { dtype: f32, shape: { shape: dims(-1, 2) } } },
          { name: 'mm', op: 'MatMul', input: ['features', 'W'], attr: { T: f32, transpose_a: { b: false }, transpose_b: { b: false } } },
          { name: 'add', op: 'BiasAdd', input: ['mm', 'b'], attr: { T: f32 } },
          { name: 'relu', op: 'Relu', input: ['add'], attr: { T: f32 } },
          { name: 'Identity', op: 'Identity', input: ['relu'], attr: { T: f32 } },
        ],
        versions: { producer: 1 },
      },
      weightsManifest: [
        {
          paths: ['group1-shard1of2.bin', 'group1-shard2of2.bin'],
          weights: [
            { name: 'W', shape: [2, 2], dtype: 'float32' },
            { name: 'b', shape: [2], dtype: 'float32' },
          ],
        },
      ],
    };
    await writeFile(join(dir, 'model.json'), JSON.stringify(json));
    const r = await predict(join(dir, 'model.json'), '{"instances":[[1.0, 1.0], [0.0, -2.0]]}');
    // [1,1]·W = [3, -0.5] + b = [3.5, -0.75] → relu [3.5, 0]; [0,-2]·W = [-4, -1] + b → [0, 0].
    assert.deepEqual(r.body, { predictions: [[3.5, 0], [0, 0]] });

    json.modelTopology.node.splice(5, 1, { name: 'relu', op: 'FancyCustomOp', input: ['add'], attr: { T: f32 } });
    await writeFile(join(dir, 'model.json'), JSON.stringify(json));
    await rejectsRunner(predict(join(dir, 'model.json'), '{"instances":[[1.0, 1.0]]}', { backend: 'cpu' }), 'unsupported-op', /FancyCustomOp \(node "relu"/);
  });
});
