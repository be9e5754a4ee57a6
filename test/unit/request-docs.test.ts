/**
 * No false alarms: every request body that Google's prediction documentation and TF Serving's REST
 * documentation show working validates without an error or a warning against a signature of the
 * matching shape (infos, such as "differs only in size-1 dimensions", are allowed). The bodies
 * were written here from the pages cited above each group; "..." elisions in the docs are filled
 * with values of the same shape, and obvious typos in the docs are corrected (noted inline).
 * Then the bodies of the fixtures README, against the real fixture signatures read by readModel.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readModel } from '../../src/core/model/inspect';
import type { Shape, Signature, TensorSpec } from '../../src/core/model/types';
import { servingSignatures } from '../../src/core/request/binding';
import { generateRequestText } from '../../src/core/request/generate';
import type { RequestFinding, TargetKind } from '../../src/core/request/types';
import { validateJsonLines, validateRequest } from '../../src/core/request/validate';
import { savedModel } from '../helpers/fixtures';

function t(alias: string, dtype: string, shape: Shape): TensorSpec {
  return { alias, dtype, shape, tensor: `${alias}:0` };
}
const PREDICT = 'tensorflow/serving/predict';
const CLASSIFY = 'tensorflow/serving/classify';
function sigs(...inputs: TensorSpec[]): Signature[] {
  return [{ name: 'serving_default', method: PREDICT, inputs, outputs: [t('outputs', 'DT_FLOAT', [-1])] }];
}

interface DocBody {
  what: string;
  body: string;
  /** undefined: no model (structure only), as for XGBoost, which has no SignatureDef. */
  signatures: Signature[] | undefined;
  targets: TargetKind[];
  jsonl?: boolean;
}

function noAlarm(findings: RequestFinding[], label: string): void {
  const loud = findings.filter((f) => f.severity !== 'info');
  assert.deepEqual(loud.map((f) => `${f.code}: ${f.message}`), [], label);
}

// Vertex AI, "Get online predictions from a custom trained model", section "Format your input for
// online prediction" (https://cloud.google.com/vertex-ai/docs/predictions/get-online-predictions),
// and its request examples for TensorFlow, scikit-learn and XGBoost.
const VERTEX: DocBody[] = [
  {
    what: 'instances with an input tensor and an instance key',
    body: '{"instances": [\n  {"values": [1, 2, 3, 4], "key": 1},\n  {"values": [5, 6, 7, 8], "key": 2}\n]}',
    signatures: sigs(t('values', 'DT_FLOAT', [-1, 4]), t('key', 'DT_INT64', [-1])),
    targets: ['vertex', 'ai-platform', 'tf-serving'],
  },
  {
    // The page shows the Python form {'image_bytes': {'b64': base64.b64encode(jpeg_data).decode()}}.
    what: 'binary input as {"b64"} with a _bytes alias',
    body: '{"instances": [{"image_bytes": {"b64": "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAEBAQ=="}}]}',
    signatures: sigs(t('image_bytes', 'DT_STRING', [-1])),
    targets: ['vertex', 'ai-platform', 'tf-serving'],
  },
  {
    // The docs print the inner quotes double-escaped (\\"x\\"); as JSON text they are \"x\".
    what: 'CSV data with each row encoded as a string value',
    body: '{"instances": ["1.0,true,\\"x\\"", "-2.0,false,\\"y\\""]}',
    signatures: sigs(t('csv_row', 'DT_STRING', [-1])),
    targets: ['vertex', 'ai-platform', 'tf-serving'],
  },
  {
    what: 'plain text',
    body: '{"instances": ["the quick brown fox", "the lazy dog"]}',
    signatures: sigs(t('text', 'DT_STRING', [-1])),
    targets: ['vertex', 'ai-platform', 'tf-serving'],
  },
  {
    what: 'sentences encoded as lists of words',
    body: '{\n  "instances": [\n    ["the","quick","brown"],\n    ["the","lazy","dog"]\n  ]\n}',
    signatures: sigs(t('words', 'DT_STRING', [-1, 3])),
    targets: ['vertex', 'ai-platform', 'tf-serving'],
  },
  {
    what: 'floating point scalar values',
    body: '{"instances": [0.0, 1.1, 2.2]}',
    signatures: sigs(t('x', 'DT_FLOAT', [-1])),
    targets: ['vertex', 'ai-platform', 'tf-serving'],
  },
  {
    what: 'vectors of integers',
    body: '{\n  "instances": [\n    [0, 1, 2],\n    [3, 4, 5]\n  ]\n}',
    signatures: sigs(t('x', 'DT_INT32', [-1, 3])),
    targets: ['vertex', 'ai-platform', 'tf-serving'],
  },
  {
    what: 'two-dimensional tensors',
    body: '{\n  "instances": [\n    [\n      [0, 1, 2],\n      [3, 4, 5]\n    ],\n    [\n      [6, 7, 8],\n      [9, 10, 11]\n    ]\n  ]\n}',
    signatures: sigs(t('x', 'DT_INT32', [-1, 2, 3])),
    targets: ['vertex', 'ai-platform', 'tf-serving'],
  },
  {
    what: 'images as rows × columns × RGB',
    body: '{\n  "instances": [\n    [\n      [\n        [138, 30, 66],\n        [130, 20, 56]\n      ],\n      [\n        [126, 38, 61],\n        [122, 24, 57]\n      ]\n    ]\n  ]\n}',
    signatures: sigs(t('image', 'DT_UINT8', [-1, -1, -1, 3])),
    targets: ['vertex', 'ai-platform', 'tf-serving'],
  },
  {
    what: 'two serialized tf.Examples (fake data, unpadded base64)',
    body: '{"instances": [{"b64": "X5ad6u"}, {"b64": "IA9j4nx"}]}',
    signatures: sigs(t('examples', 'DT_STRING', [-1])),
    targets: ['vertex', 'ai-platform', 'tf-serving'],
  },
  {
    what: 'two JPEG image byte strings',
    body: '{"instances": [{"b64": "ASa8asdf"}, {"b64": "JLK7ljk3"}]}',
    signatures: sigs(t('image_bytes', 'DT_STRING', [-1])),
    targets: ['vertex', 'ai-platform', 'tf-serving'],
  },
  {
    what: 'multiple input tensors: "tag" (string) and "image" (base64-encoded string)',
    body: '{\n  "instances": [\n    {\n      "tag": "beach",\n      "image": {"b64": "ASa8asdf"}\n    },\n    {\n      "tag": "car",\n      "image": {"b64": "JLK7ljk3"}\n    }\n  ]\n}',
    signatures: sigs(t('tag', 'DT_STRING', [-1]), t('image', 'DT_STRING', [-1])),
    targets: ['vertex', 'ai-platform', 'tf-serving'],
  },
  {
    what: 'multiple input tensors: "tag" (string) and "image" (3-dimensional array of 8-bit ints)',
    body: '{\n  "instances": [\n    {\n      "tag": "beach",\n      "image": [\n        [[138, 30, 66], [130, 20, 56]],\n        [[126, 38, 61], [122, 24, 57]]\n      ]\n    },\n    {\n      "tag": "car",\n      "image": [\n        [[255, 0, 102], [255, 0, 97]],\n        [[254, 1, 101], [254, 2, 93]]\n      ]\n    }\n  ]\n}',
    signatures: sigs(t('tag', 'DT_STRING', [-1]), t('image', 'DT_UINT8', [-1, 2, 2, 3])),
    targets: ['vertex', 'ai-platform', 'tf-serving'],
  },
  {
    what: 'scikit-learn / XGBoost: lists of floats',
    body: '{\n  "instances": [\n    [0.0, 1.1, 2.2],\n    [3.3, 4.4, 5.5]\n  ]\n}',
    signatures: sigs(t('x', 'DT_FLOAT', [-1, 3])),
    targets: ['vertex', 'ai-platform'],
  },
  {
    what: 'XGBoost: a missing feature as the string "NaN" (no SignatureDef: structure only)',
    body: '{"instances": [[0.0, 1.1, "NaN"]]}',
    signatures: undefined,
    targets: ['vertex', 'ai-platform'],
  },
];

// AI Platform Prediction, "projects.predict" request body details
// (https://cloud.google.com/ai-platform/prediction/docs/reference/rest/v1/projects/predict, also
// https://cloud.google.com/ml-engine/docs/v1/predict-request), beyond the bodies above.
const AI_PLATFORM: DocBody[] = [
  {
    what: 'plain text (second variant)',
    body: '{"instances": ["the quick brown fox", "la bruja le dio"]}',
    signatures: sigs(t('text', 'DT_STRING', [-1])),
    targets: ['ai-platform'],
  },
  {
    what: 'JSON input data to be preprocessed (named inputs a, b, c)',
    body: '{\n  "instances": [\n    {\n      "a": 1.0,\n      "b": true,\n      "c": "x"\n    },\n    {\n      "a": -2.0,\n      "b": false,\n      "c": "y"\n    }\n  ]\n}',
    signatures: sigs(t('a', 'DT_FLOAT', [-1]), t('b', 'DT_BOOL', [-1]), t('c', 'DT_STRING', [-1])),
    targets: ['ai-platform', 'vertex', 'tf-serving'],
  },
  {
    // gcloud ai-platform predict --json-instances: one instance per line (the instance-key example of
    // the prediction overview), and the flowers sample's request.json (GoogleCloudPlatform/cloudml-samples).
    what: 'a --json-instances file',
    body: '{"values": [1, 2, 3, 4], "key": 1}\n{"values": [5, 6, 7, 8], "key": 2}\n',
    signatures: sigs(t('values', 'DT_FLOAT', [-1, 4]), t('key', 'DT_INT64', [-1])),
    targets: ['ai-platform', 'vertex'],
    jsonl: true,
  },
  {
    what: 'the flowers sample\'s instance (key and image_bytes)',
    body: '{"key": "0", "image_bytes": {"b64": "/9j/4AAQSkZJRgABAQ=="}}\n',
    signatures: sigs(t('key', 'DT_STRING', [-1]), t('image_bytes', 'DT_STRING', [-1])),
    targets: ['ai-platform', 'vertex'],
    jsonl: true,
  },
];

// TensorFlow Serving, "RESTful API" (https://www.tensorflow.org/tfx/serving/api_rest;
// tensorflow/serving tensorflow_serving/g3doc/api_rest.md).
const TF_SERVING: DocBody[] = [
  {
    what: 'row format: list of 3 scalar tensors',
    body: '{\n  "instances": [ "foo", "bar", "baz" ]\n}',
    signatures: sigs(t('x', 'DT_STRING', [-1])),
    targets: ['tf-serving'],
  },
  {
    what: 'row format: list of 2 tensors each of [1, 2] shape',
    body: '{\n  "instances": [ [[1, 2]], [[3, 4]] ]\n}',
    signatures: sigs(t('x', 'DT_INT32', [-1, 1, 2])),
    targets: ['tf-serving'],
  },
  {
    // The page has a stray "]" after the second "signal" list; corrected here.
    what: 'row format: two instances with three named inputs',
    body: '{\n "instances": [\n   {\n     "tag": "foo",\n     "signal": [1, 2, 3, 4, 5],\n     "sensor": [[1, 2], [3, 4]]\n   },\n   {\n     "tag": "bar",\n     "signal": [3, 4, 1, 2, 5],\n     "sensor": [[4, 5], [6, 8]]\n   }\n ]\n}',
    signatures: sigs(t('tag', 'DT_STRING', [-1]), t('signal', 'DT_INT32', [-1, 5]), t('sensor', 'DT_INT32', [-1, 2, 2])),
    targets: ['tf-serving', 'vertex'],
  },
  {
    what: 'columnar format of the same',
    body: '{\n "inputs": {\n   "tag": ["foo", "bar"],\n   "signal": [[1, 2, 3, 4, 5], [3, 4, 1, 2, 5]],\n   "sensor": [[[1, 2], [3, 4]], [[4, 5], [6, 8]]]\n }\n}',
    signatures: sigs(t('tag', 'DT_STRING', [-1]), t('signal', 'DT_INT32', [-1, 5]), t('sensor', 'DT_INT32', [-1, 2, 2])),
    targets: ['tf-serving'],
  },
  {
    what: 'classify with a binary image feature and a caption',
    body: '{\n  "signature_name": "classify_objects",\n  "examples": [\n    {\n      "image": { "b64": "aW1hZ2UgYnl0ZXM=" },\n      "caption": "seaside"\n    },\n    {\n      "image": { "b64": "YXdlc29tZSBpbWFnZSBieXRlcw==" },\n      "caption": "mountains"\n    }\n  ]\n}',
    signatures: [{ name: 'classify_objects', method: CLASSIFY, inputs: [t('inputs', 'DT_STRING', [-1])], outputs: [t('scores', 'DT_FLOAT', [-1, 2])] }],
    targets: ['tf-serving'],
  },
  {
    // The page writes "example" and "Nan"; TF Serving's keys are "examples", its token "NaN".
    what: 'JSON conformance: NaN and Infinity among the readings',
    body: '{\n  "examples": [\n    {\n      "sensor_readings": [ 1.0, -3.14, NaN, Infinity ]\n    }\n  ]\n}',
    signatures: [{ name: 'serving_default', method: CLASSIFY, inputs: [t('inputs', 'DT_STRING', [-1])], outputs: [t('scores', 'DT_FLOAT', [-1, 2])] }],
    targets: ['tf-serving'],
  },
];

function check(doc: DocBody): void {
  for (const target of doc.targets) {
    const opts = { fileKind: doc.jsonl ? ('jsonl' as const) : ('json' as const), target, ...(doc.signatures ? { signatures: doc.signatures } : {}) };
    const res = doc.jsonl ? validateJsonLines(doc.body, opts) : validateRequest(doc.body, opts);
    noAlarm(res.findings, `${doc.what} (${target})`);
    assert.ok(res.instances > 0, 'instances counted');
  }
}

describe('bodies from Google\'s prediction documentation validate cleanly', () => {
  for (const doc of [...VERTEX, ...AI_PLATFORM]) it(doc.what, () => check(doc));
});

describe('bodies from TF Serving\'s REST documentation validate cleanly', () => {
  for (const doc of TF_SERVING) it(doc.what, () => check(doc));

  it('the half_plus_three example calls, against the real model', async () => {
    const s = servingSignatures(await readModel(savedModel('saved_model_half_plus_three')));
    for (const body of [
      '{"instances": [1.0,2.0,5.0]}',
      '{"signature_name": "tensorflow/serving/regress", "examples": [{"x": 1.0}, {"x": 2.0}]}',
      '{"instances": [1.0,5.0]}',
    ]) {
      const r = validateRequest(body, { fileKind: 'json', signatures: s, target: 'tf-serving' });
      noAlarm(r.findings, body);
      assert.ok(r.signature, body);
    }
  });
});

/** The request bodies of the fixtures README, per model, against the signatures read from the files. */
const FIXTURE_BODIES: { model: string[]; bodies: string[] }[] = [
  {
    model: ['saved_model_half_plus_two_cpu'],
    bodies: [
      '{"instances":[2.0,3.0,4.0]}',
      '{"inputs":[2.0,3.0,4.0]}',
      '{"signature_name":"classify_x_to_y","examples":[{"x":2.0}]}',
      '{"signature_name":"regress_x_to_y","examples":[{"x":2.0}]}',
      '{"instances":[1.0,2.0,5.0]}',
    ],
  },
  {
    model: ['saved_model_half_plus_two_2_versions'],
    bodies: [
      '{"instances":[[1.0,2.0],[3.0,4.0]]}',
      '{"instances":[1.0,2.0]}',
      '{"instances":[3.0,4.0]}',
      '{"inputs":[3.0,4.0]}',
      '{"signature_name":"regress_x_to_y","examples":[{"x":80.0}]}',
      '{"signature_name":"classify_x_to_y","examples":[{"x":20.0}]}',
      '{"signature_name":"classify_x_to_y","examples":[{"x":10.0}]}',
      '{"signature_name":"regress_x2_to_y3","inputs":[2.0]}',
      '{"signature_name":"classify_x2_to_y3","inputs":[2.0]}',
      '{"signature_name":"classify_x_to_y","examples":[{"x":80.0,"locale":"pt_BR","age":19}]}',
    ],
  },
  { model: ['saved_model_half_plus_three'], bodies: ['{"instances":[2.0]}', '{"inputs":[2.0]}'] },
  {
    model: ['saved_model_half_plus_two_tf2_cpu'],
    bodies: [
      '{"signature_name":"classify_x_to_y","examples":[{"x":2.0}]}',
      '{"signature_name":"regress_x_to_y","examples":[{"x":2.0}]}',
      '{"signature_name":"regress_x_to_y2","examples":[{"x":2.0}]}',
      '{"instances":[2.0]}',
    ],
  },
  {
    model: ['times_three_float'],
    bodies: ['{"instances":[1.0,2.0,3.0]}', '{"inputs":[1.0,2.0,3.0]}', '{"instances":[{"x":1.0},{"x":2.0},{"x":3.0}]}', '{"inputs":{"x":[1.0,2.0,3.0]}}'],
  },
  { model: ['times_two_int'], bodies: ['{"instances":[1,2,3]}', '{"inputs":[1,2,3]}'] },
  { model: ['half_plus_two_pbtxt'], bodies: ['{"instances":[1.0,2.0,5.0]}'] },
];

describe('the fixtures README bodies validate against the real fixture signatures', () => {
  for (const { model, bodies } of FIXTURE_BODIES) {
    it(model.join('/'), async () => {
      const signatures = servingSignatures(await readModel(savedModel(...model)));
      assert.ok(signatures.length > 0);
      for (const body of bodies) {
        for (const target of ['tf-serving', 'local'] as const) {
          const r = validateRequest(body, { fileKind: 'json', signatures, target });
          noAlarm(r.findings, `${model.join('/')} ${body} (${target})`);
          assert.ok(r.signature, `resolved a signature for ${body}`);
        }
      }
    });
  }

  it('and a body with a real mistake does fail against the same signatures', async () => {
    const signatures = servingSignatures(await readModel(savedModel('saved_model_half_plus_two_cpu')));
    const codes = (b: string) => validateRequest(b, { fileKind: 'json', signatures }).findings.filter((f) => f.severity === 'error').map((f) => f.code);
    assert.deepEqual(codes('{"instances":[{"y":2.0}]}'), ['unknown-alias']);
    assert.deepEqual(codes('{"signature_name":"classify","examples":[{"x":2.0}]}'), ['unknown-signature']);
    assert.deepEqual(codes('{"examples":[{"x":2.0}]}'), ['method-mismatch']);
    assert.deepEqual(codes('{"instances":["2.0"]}'), ['dtype-mismatch']);
    const tf2 = servingSignatures(await readModel(savedModel('times_two_int')));
    assert.deepEqual(validateRequest('{"instances":[1.5]}', { fileKind: 'json', signatures: tf2 }).findings.filter((f) => f.severity === 'error').map((f) => f.code), ['not-an-integer']);
  });

  it('every generated example body (generate.ts) validates cleanly against its fixture signature', async () => {
    for (const model of FIXTURE_BODIES.map((x) => x.model)) {
      const signatures = servingSignatures(await readModel(savedModel(...model)));
      for (const s of signatures.filter((x) => x.inputs.length > 0)) {
        for (const format of ['row', 'columnar'] as const) {
          const text = generateRequestText(s, { format, instances: 2 });
          const r = validateRequest(text, { fileKind: 'json', signatures, target: 'tf-serving' });
          // A predict body generated for a classify/regress signature may carry the method warning; nothing else.
          const loud = r.findings.filter((f) => f.severity !== 'info' && f.code !== 'method-mismatch');
          assert.deepEqual(loud.map((f) => f.code), [], `${model.join('/')} ${s.name} ${format}: ${text}`);
        }
      }
    }
  });
});

describe('a 1.5 MB body', () => {
  it('validates with positions, every instance counted', () => {
    const s = sigs(t('image', 'DT_FLOAT', [-1, 32, 32, 3]), t('key', 'DT_INT64', [-1]));
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    const parts: string[] = [];
    let size = 0;
    while (size < 1.5e6 - 25_000) {
      const img = Array.from({ length: 32 }, () => Array.from({ length: 32 }, () => [rnd(), rnd(), rnd()].map((v) => +v.toFixed(4))));
      const p = JSON.stringify({ image: img, key: parts.length });
      parts.push(p);
      size += p.length + 1;
    }
    const body = `{"instances": [${parts.join(',')}]}`;
    assert.ok(body.length > 1.45e6 && body.length <= 1.5e6, String(body.length));
    const r = validateRequest(body, { fileKind: 'json', signatures: s, target: 'vertex' });
    noAlarm(r.findings, '1.5 MB body');
    assert.equal(r.instances, parts.length);
    // One pixel off: the finding points at that instance's value, line/column included.
    const broken = body.replace(/\[0\.\d+,0\.\d+,0\.\d+\]\]\]/, (m) => m.replace(/,0\.\d+\]\]\]$/, ']]]'));
    const bad = validateRequest(broken, { fileKind: 'json', signatures: s }).findings.filter((f) => f.severity === 'error');
    assert.equal(bad.length, 1);
    assert.equal(bad[0]!.code, 'ragged-list');
    assert.equal(bad[0]!.line, 1);
  });
});
