import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ServeLensError } from '../../src/core/errors';
import { inspectModel } from '../../src/core/model/inspect';
import type { Shape, Signature, TensorSpec } from '../../src/core/model/types';
import {
  MAX_GENERATED_VALUES,
  generateRequest,
  generateRequestText,
  leafKind,
} from '../../src/core/request/generate';
import { savedModel } from '../helpers/fixtures';

function t(alias: string, dtype: string, shape: Shape, tensor = `${alias}:0`): TensorSpec {
  return { alias, dtype, shape, tensor };
}
function sig(name: string, method: string, inputs: TensorSpec[], outputs: TensorSpec[] = []): Signature {
  return { name, method, inputs, outputs };
}

/**
 * The fixtures' signatures as the fixtures README lists them (decoded from the real files), with
 * the bodies they must generate. The loop over the real files themselves is below.
 */
const TABLE: {
  model: string;
  sig: Signature;
  row: unknown;
  rowText: string;
  columnar3: unknown;
}[] = [
  {
    model: 'half_plus_two_cpu',
    sig: sig('serving_default', 'tensorflow/serving/predict', [t('x', 'DT_FLOAT', [-1, 1])], [t('y', 'DT_FLOAT', [-1, 1])]),
    row: { instances: [[0]] },
    rowText: '{\n  "instances": [[0.0]]\n}\n',
    columnar3: { inputs: [[0], [0], [0]] },
  },
  {
    model: 'half_plus_two_cpu',
    sig: sig('regress_x_to_y', 'tensorflow/serving/regress', [t('inputs', 'DT_STRING', null, 'tf_example:0')]),
    row: { signature_name: 'regress_x_to_y', instances: [''] },
    rowText: '{\n  "signature_name": "regress_x_to_y",\n  "instances": [""]\n}\n',
    columnar3: { signature_name: 'regress_x_to_y', inputs: '' },
  },
  {
    model: 'half_plus_two_cpu',
    sig: sig('regress_x2_to_y3', 'tensorflow/serving/regress', [t('inputs', 'DT_FLOAT', [-1, 1], 'x2:0')]),
    row: { signature_name: 'regress_x2_to_y3', instances: [[0]] },
    rowText: '{\n  "signature_name": "regress_x2_to_y3",\n  "instances": [[0.0]]\n}\n',
    columnar3: { signature_name: 'regress_x2_to_y3', inputs: [[0], [0], [0]] },
  },
  {
    model: 'half_plus_three (no tensor_shape, slash in the key)',
    sig: sig('tensorflow/serving/regress', 'tensorflow/serving/regress', [t('inputs', 'DT_FLOAT', null, 'tf_example:0')]),
    row: { signature_name: 'tensorflow/serving/regress', instances: [0] },
    rowText: '{\n  "signature_name": "tensorflow/serving/regress",\n  "instances": [0.0]\n}\n',
    columnar3: { signature_name: 'tensorflow/serving/regress', inputs: 0 },
  },
  {
    model: 'half_plus_two_tf2_cpu (batch dim fixed at 1)',
    sig: sig('serving_default', 'tensorflow/serving/predict', [t('x', 'DT_FLOAT', [1], 'serving_default_x:0')]),
    row: { instances: [0] },
    rowText: '{\n  "instances": [0.0]\n}\n',
    columnar3: { inputs: [0] },
  },
  {
    model: 'half_plus_two_tf2_cpu',
    sig: sig('classify_x_to_y', 'tensorflow/serving/predict', [t('inputs', 'DT_STRING', [-1], 'classify_x_to_y_inputs:0')]),
    row: { signature_name: 'classify_x_to_y', instances: [''] },
    rowText: '{\n  "signature_name": "classify_x_to_y",\n  "instances": [""]\n}\n',
    columnar3: { signature_name: 'classify_x_to_y', inputs: ['', '', ''] },
  },
  {
    model: 'half_plus_two_tf2_cpu (init op: no inputs)',
    sig: sig('__saved_model_init_op', '', [], [t('__saved_model_init_op', 'DT_INVALID', null, 'NoOp')]),
    row: { signature_name: '__saved_model_init_op', instances: [{}] },
    rowText: '{\n  "signature_name": "__saved_model_init_op",\n  "instances": [{}]\n}\n',
    columnar3: { signature_name: '__saved_model_init_op', inputs: {} },
  },
  {
    model: 'times_two_int (int32 scalar)',
    sig: sig('serving_default', 'tensorflow/serving/predict', [t('x', 'DT_INT32', [], 'serving_default_x:0')]),
    row: { instances: [0] },
    rowText: '{\n  "instances": [0]\n}\n',
    columnar3: { inputs: 0 },
  },
  {
    model: 'half_plus_two_pbtxt (DT_INVALID, no shape)',
    sig: sig('serving_default', 'tensorflow/serving/predict', [t('x', 'DT_INVALID', null)]),
    row: { instances: [0] },
    rowText: '{\n  "instances": [0.0]\n}\n',
    columnar3: { inputs: 0 },
  },
  {
    model: 'synthetic multi-input (binary alias, bool, int64, unknown inner dim)',
    sig: sig('predict_images', 'tensorflow/serving/predict', [
      t('image_bytes', 'DT_STRING', [-1]),
      t('key', 'DT_STRING', [-1]),
      t('mask', 'DT_BOOL', [-1, 2]),
      t('count', 'DT_INT64_REF', [-1, -1]),
    ]),
    row: { signature_name: 'predict_images', instances: [{ image_bytes: { b64: 'AA==' }, key: '', mask: [false, false], count: [0] }] },
    rowText:
      '{\n  "signature_name": "predict_images",\n  "instances": [\n    {\n      "image_bytes": {"b64": "AA=="},\n' +
      '      "key": "",\n      "mask": [false, false],\n      "count": [0]\n    }\n  ]\n}\n',
    columnar3: {
      signature_name: 'predict_images',
      inputs: {
        image_bytes: [{ b64: 'AA==' }, { b64: 'AA==' }, { b64: 'AA==' }],
        key: ['', '', ''],
        mask: [[false, false], [false, false], [false, false]],
        count: [[0], [0], [0]],
      },
    },
  },
];

describe('generateRequest over the fixtures signature table', () => {
  for (const row of TABLE) {
    it(`${row.model}: ${row.sig.name}`, () => {
      assert.deepEqual(generateRequest(row.sig, { format: 'row' }), row.row);
      assert.equal(generateRequestText(row.sig, { format: 'row' }), row.rowText);
      assert.deepEqual(JSON.parse(row.rowText), row.row, 'the text is the same body');
      assert.deepEqual(generateRequest(row.sig, { format: 'columnar', instances: 3 }), row.columnar3);
      assert.deepEqual(
        JSON.parse(generateRequestText(row.sig, { format: 'columnar', instances: 3 })),
        row.columnar3,
      );
    });
  }
});

describe('generateRequest options', () => {
  const hp2 = TABLE[0].sig;

  it('repeats the instance for instances > 1 (row)', () => {
    assert.deepEqual(generateRequest(hp2, { format: 'row', instances: 3 }), { instances: [[0], [0], [0]] });
  });

  it('names the signature when asked, and omits serving_default', () => {
    assert.deepEqual(generateRequest(hp2, { format: 'row', signatureName: 'other' }), {
      signature_name: 'other',
      instances: [[0]],
    });
    const named = sig('serving_default', 'tensorflow/serving/predict', hp2.inputs);
    assert.equal('signature_name' in generateRequest(named, { format: 'columnar' }), false);
  });

  it('keeps a known inner shape and fills unknown inner dims with 1', () => {
    const image = sig('serving_default', '', [t('image', 'DT_UINT8', [-1, 2, -1, 3])]);
    assert.deepEqual(generateRequest(image, { format: 'row' }), {
      instances: [[[[0, 0, 0]], [[0, 0, 0]]]],
    });
    const text = generateRequestText(image, { format: 'row' });
    assert.match(text, /\[\[\[0, 0, 0\]\], \[\[0, 0, 0\]\]\]/);
  });

  it('uses floats for every floating dtype and ints for every integer dtype', () => {
    for (const d of ['DT_FLOAT', 'DT_DOUBLE', 'DT_HALF', 'DT_BFLOAT16', 'DT_FLOAT_REF']) {
      assert.equal(leafKind({ alias: 'v', dtype: d }), 'float', d);
    }
    for (const d of ['DT_INT8', 'DT_INT32', 'DT_INT64', 'DT_UINT8', 'DT_UINT64', 'DT_INT32_REF']) {
      assert.equal(leafKind({ alias: 'v', dtype: d }), 'int', d);
    }
    assert.equal(leafKind({ alias: 'v', dtype: 'DT_BOOL' }), 'bool');
    assert.equal(leafKind({ alias: 'v', dtype: 'DT_STRING' }), 'string');
    assert.equal(leafKind({ alias: 'Image_BYTES', dtype: 'DT_STRING' }), 'b64');
    // A binary alias on a non-string tensor is still that tensor's dtype.
    assert.equal(leafKind({ alias: 'x_bytes', dtype: 'DT_FLOAT' }), 'float');
  });

  it('the binary placeholder is valid base64', () => {
    const s = sig('serving_default', '', [t('img_bytes', 'DT_STRING', [-1])]);
    const body = generateRequest(s, { format: 'row' }) as { instances: { b64: string }[] };
    const b64 = body.instances[0].b64;
    assert.equal(Buffer.from(b64, 'base64').toString('base64'), b64);
  });

  it('refuses bad options and oversized bodies with a typed error', () => {
    assert.throws(() => generateRequest(hp2, { format: 'row', instances: 0 }), (e) => ServeLensError.is(e, 'usage'));
    assert.throws(() => generateRequest(hp2, { format: 'row', instances: 1.5 }), (e) => ServeLensError.is(e, 'usage'));
    assert.throws(
      () => generateRequest(hp2, { format: 'nope' as 'row' }),
      (e) => ServeLensError.is(e, 'usage'),
    );
    const huge = sig('serving_default', '', [t('x', 'DT_FLOAT', [-1, 4096, 4096])]);
    assert.throws(
      () => generateRequest(huge, { format: 'row' }),
      (e) => ServeLensError.is(e, 'usage') && e.message.includes(String(MAX_GENERATED_VALUES)),
    );
  });
});

/** Every model fixture, read by the core; each of its signatures must generate a body that fits it. */
const FIXTURE_MODELS: { path: string; servingDefaultRow: unknown; servingDefaultText: string }[] = [
  { path: 'saved_model_half_plus_two_cpu/00000123', servingDefaultRow: { instances: [[0]] }, servingDefaultText: '[[0.0]]' },
  { path: 'saved_model_half_plus_two_2_versions/00000123', servingDefaultRow: { instances: [[0]] }, servingDefaultText: '[[0.0]]' },
  { path: 'saved_model_half_plus_two_2_versions/00000124', servingDefaultRow: { instances: [[0]] }, servingDefaultText: '[[0.0]]' },
  { path: 'saved_model_half_plus_three/00000123', servingDefaultRow: { instances: [0] }, servingDefaultText: '[0.0]' },
  { path: 'saved_model_half_plus_two_tf2_cpu/00000123', servingDefaultRow: { instances: [0] }, servingDefaultText: '[0.0]' },
  { path: 'times_three_float', servingDefaultRow: { instances: [0] }, servingDefaultText: '[0.0]' },
  { path: 'times_two_int', servingDefaultRow: { instances: [0] }, servingDefaultText: '[0]' },
  { path: 'half_plus_two_pbtxt/00000123', servingDefaultRow: { instances: [0] }, servingDefaultText: '[0.0]' },
];

/** The nested-array dimensions of a JSON value (a leaf has none); rectangular or it throws. */
function dimsOf(v: unknown): number[] {
  if (!Array.isArray(v)) return [];
  const inner = v.map(dimsOf);
  for (const d of inner) assert.deepEqual(d, inner[0], 'the value is rectangular');
  return [v.length, ...(inner[0] ?? [])];
}

function leaves(v: unknown): unknown[] {
  return Array.isArray(v) ? v.flatMap(leaves) : [v];
}

function expectedLeaf(spec: TensorSpec): unknown {
  const kind = leafKind(spec);
  return kind === 'b64' ? { b64: 'AA==' } : kind === 'string' ? '' : kind === 'bool' ? false : 0;
}

describe('generateRequest over every real fixture signature', () => {
  for (const model of FIXTURE_MODELS) {
    it(model.path, async () => {
      const insp = await inspectModel(savedModel(model.path));
      const sigs = insp.summary.metaGraphs.flatMap((m) => m.signatures);
      assert.ok(sigs.length >= 1, 'the fixture has signatures');
      const def = sigs.find((s) => s.name === 'serving_default');
      assert.ok(def, 'serving_default is present');
      assert.deepEqual(generateRequest(def, { format: 'row' }), model.servingDefaultRow);
      assert.equal(generateRequestText(def, { format: 'row' }), `{\n  "instances": ${model.servingDefaultText}\n}\n`);

      for (const sig of sigs) {
        const row = generateRequest(sig, { format: 'row', instances: 2 }) as Record<string, unknown>;
        const col = generateRequest(sig, { format: 'columnar', instances: 2 }) as Record<string, unknown>;
        for (const body of [row, col]) {
          if (sig.name === 'serving_default') assert.equal('signature_name' in body, false, sig.name);
          else assert.equal(body.signature_name, sig.name);
        }
        const instances = row.instances as unknown[];
        assert.equal(instances.length, 2, `${sig.name}: two instances`);
        for (const inst of instances) {
          for (const spec of sig.inputs) {
            const value = sig.inputs.length === 1 ? inst : (inst as Record<string, unknown>)[spec.alias];
            const want = spec.shape === null ? [] : spec.shape.slice(1).map((d) => (d < 0 ? 1 : d));
            assert.deepEqual(dimsOf(value), want, `${sig.name}/${spec.alias} row shape`);
            for (const leaf of leaves(value)) assert.deepEqual(leaf, expectedLeaf(spec), `${sig.name}/${spec.alias} leaf`);
          }
        }
        for (const spec of sig.inputs) {
          const value = sig.inputs.length === 1 ? col.inputs : (col.inputs as Record<string, unknown>)[spec.alias];
          const want = spec.shape === null ? [] : spec.shape.map((d, i) => (d >= 0 ? d : i === 0 ? 2 : 1));
          assert.deepEqual(dimsOf(value), want, `${sig.name}/${spec.alias} columnar shape`);
        }
        // The text form is the same body.
        assert.deepEqual(JSON.parse(generateRequestText(sig, { format: 'row', instances: 2 })), row);
      }
    });
  }
});
