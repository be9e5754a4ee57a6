import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { LintCodes, checkResourceName, customOpLibrary, defaultModelName, lintModel } from '../../src/core/model/lint';
import { metaGraph, model, signature, tensor } from '../helpers/builders';

const codes = (m: Parameters<typeof lintModel>[0], opts?: Parameters<typeof lintModel>[1]) =>
  lintModel(m, opts).map((f) => f.code);

describe('lint: each rule fires on the model that breaks it and stays quiet on one that does not', () => {
  const clean = model([metaGraph([signature('serving_default')])]);

  it('a clean model has no findings', () => {
    assert.deepEqual(lintModel(clean), []);
  });

  const table: { rule: string; bad: Parameters<typeof lintModel>[0]; good: Parameters<typeof lintModel>[0]; opts?: Parameters<typeof lintModel>[1] }[] = [
    {
      rule: LintCodes.noServeTag,
      bad: model([metaGraph([signature('serving_default')], { tags: ['train'] })]),
      good: model([metaGraph([signature('serving_default')], { tags: ['serve', 'gpu'] })]),
    },
    {
      rule: LintCodes.noSignatures,
      bad: model([metaGraph([signature('__saved_model_init_op', { method: '', inputs: [] })])]),
      good: clean,
    },
    {
      rule: LintCodes.noServingDefault,
      bad: model([metaGraph([signature('predict_images')])]),
      good: model([metaGraph([signature('serving_default'), signature('predict_images')])]),
    },
    {
      rule: LintCodes.methodMissing,
      bad: model([metaGraph([signature('serving_default', { method: '' })])]),
      good: clean,
    },
    {
      rule: LintCodes.methodUnknown,
      bad: model([metaGraph([signature('serving_default', { method: 'tensorflow/serving/generate' })])]),
      good: clean,
    },
    {
      rule: LintCodes.classifyInputs,
      bad: model([metaGraph([signature('serving_default'), signature('c', { method: 'tensorflow/serving/classify', inputs: [tensor('examples', 'DT_STRING', null)], outputs: [tensor('scores')] })])]),
      good: model([metaGraph([signature('serving_default'), signature('c', { method: 'tensorflow/serving/classify', inputs: [tensor('inputs', 'DT_STRING', null)], outputs: [tensor('scores')] })])]),
    },
    {
      rule: LintCodes.classifyOutputs,
      bad: model([metaGraph([signature('serving_default'), signature('c', { method: 'tensorflow/serving/classify', inputs: [tensor('inputs', 'DT_STRING', null)], outputs: [tensor('probabilities')] })])]),
      good: model([metaGraph([signature('serving_default'), signature('c', { method: 'tensorflow/serving/classify', inputs: [tensor('inputs', 'DT_STRING', null)], outputs: [tensor('classes', 'DT_STRING')] })])]),
    },
    {
      rule: LintCodes.regressInputs,
      bad: model([metaGraph([signature('serving_default'), signature('r', { method: 'tensorflow/serving/regress', inputs: [tensor('x')], outputs: [tensor('outputs')] })])]),
      good: model([metaGraph([signature('serving_default'), signature('r', { method: 'tensorflow/serving/regress', inputs: [tensor('inputs')], outputs: [tensor('outputs')] })])]),
    },
    {
      rule: LintCodes.regressOutputs,
      bad: model([metaGraph([signature('serving_default'), signature('r', { method: 'tensorflow/serving/regress', inputs: [tensor('inputs')], outputs: [tensor('y')] })])]),
      good: model([metaGraph([signature('serving_default'), signature('r', { method: 'tensorflow/serving/regress', inputs: [tensor('inputs')], outputs: [tensor('outputs')] })])]),
    },
    {
      rule: LintCodes.binaryAlias,
      bad: model([metaGraph([signature('serving_default', { inputs: [tensor('image', 'DT_STRING', [-1])] })])]),
      good: model([metaGraph([signature('serving_default', { inputs: [tensor('image_bytes', 'DT_STRING', [-1]), tensor('title', 'DT_STRING', [-1])] })])]),
    },
    {
      rule: LintCodes.refDtype,
      bad: model([metaGraph([signature('serving_default', { outputs: [tensor('y', 'DT_FLOAT_REF')] })])]),
      good: clean,
    },
    {
      rule: LintCodes.invalidDtype,
      bad: model([metaGraph([signature('serving_default', { inputs: [tensor('x', 'DT_INVALID', null)] })])]),
      good: clean,
    },
    {
      rule: LintCodes.unknownRank,
      bad: model([metaGraph([signature('serving_default', { inputs: [tensor('x', 'DT_FLOAT', null)] })])]),
      // A serialized tf.Example input of a classify/regress signature has no fixed rank by design.
      good: model([metaGraph([signature('serving_default'), signature('r', { method: 'tensorflow/serving/regress', inputs: [tensor('inputs', 'DT_STRING', null)], outputs: [tensor('outputs')] })])]),
    },
    {
      rule: LintCodes.customOp,
      bad: model([metaGraph([signature('serving_default')], { ops: [{ op: 'Placeholder', count: 1, nodes: ['x'] }, { op: 'WordpieceTokenizeWithOffsets', count: 2, nodes: ['bert/tokenize', 'b'] }] })]),
      good: model([metaGraph([signature('serving_default')], { ops: [{ op: 'Placeholder', count: 1, nodes: ['x'] }, { op: 'MatMul', count: 1, nodes: ['m'] }] })]),
    },
    {
      rule: LintCodes.invalidModelName,
      bad: model([metaGraph([signature('serving_default')])], { dir: '/m/my-model/7', version: '7' }),
      good: model([metaGraph([signature('serving_default')])], { dir: '/m/my_model/7', version: '7' }),
    },
  ];
  for (const row of table) {
    it(`${row.rule}`, () => {
      assert.ok(codes(row.bad, row.opts).includes(row.rule), `expected ${row.rule} in ${JSON.stringify(codes(row.bad))}`);
      assert.ok(!codes(row.good, row.opts).includes(row.rule), `did not expect ${row.rule} in ${JSON.stringify(codes(row.good))}`);
    });
  }

  it('invalid-version-name only when a version name is given', () => {
    assert.ok(codes(clean, { versionName: '123' }).includes(LintCodes.invalidVersionName));
    assert.ok(!codes(clean, { versionName: 'v123' }).includes(LintCodes.invalidVersionName));
    assert.ok(!codes(clean).includes(LintCodes.invalidVersionName));
  });

  it('custom ops are found from the stripped op list when the graph was not decoded, and name the node when it was', () => {
    const stripped = model([metaGraph([signature('serving_default')], { strippedOps: ['Placeholder', 'SentencepieceOp'] })]);
    const f = lintModel(stripped).find((x) => x.code === LintCodes.customOp);
    assert.equal(f?.op, 'SentencepieceOp');
    assert.equal(f?.node, undefined);
    const decoded = model([metaGraph([signature('serving_default')], { ops: [{ op: 'Addons>GeluGrad', count: 3, nodes: ['dense/gelu', 'a', 'b'] }] })]);
    const g = lintModel(decoded).find((x) => x.code === LintCodes.customOp);
    assert.equal(g?.node, 'dense/gelu');
    assert.match(g?.message ?? '', /TensorFlow Addons/);
    assert.match(g?.message ?? '', /and 2 more/);
  });

  it('errors come before warnings, and every finding says how to fix it', () => {
    const m = model([metaGraph([signature('predict', { method: '', inputs: [tensor('x', 'DT_FLOAT', null)] })])], { dir: '/m/9bad' });
    const findings = lintModel(m);
    const sev = findings.map((f) => f.severity);
    assert.deepEqual(sev, [...sev].sort((a, b) => (a === b ? 0 : a === 'error' ? -1 : 1)));
    for (const f of findings) assert.ok(f.fix && f.fix.length > 10, `${f.code} has a fix`);
  });
});

describe('lint helpers', () => {
  it('checkResourceName follows the naming rule', () => {
    assert.equal(checkResourceName('half_plus_two'), undefined);
    assert.equal(checkResourceName('a'.repeat(128)), undefined);
    assert.match(checkResourceName('a'.repeat(129)) ?? '', /129 characters/);
    assert.match(checkResourceName('1model') ?? '', /begin with a letter/);
    assert.match(checkResourceName('my-model.v2') ?? '', /"-", "\."/);
    assert.match(checkResourceName('') ?? '', /empty/);
  });
  it('customOpLibrary knows core ops from add-on ops', () => {
    assert.equal(customOpLibrary('MatMul'), undefined);
    assert.equal(customOpLibrary('CaseFoldUTF8'), 'TensorFlow Text');
    assert.equal(customOpLibrary('Addons>ImageProjectiveTransformV2'), 'TensorFlow Addons');
    assert.match(customOpLibrary('Mine>Op') ?? '', /Mine/);
  });
  it('defaultModelName is the TF Serving base folder for a versioned layout', () => {
    assert.equal(defaultModelName(model([], { dir: '/a/half_plus_two/00000123', version: '00000123' })), 'half_plus_two');
    assert.equal(defaultModelName(model([], { dir: '/a/times_three_float', version: undefined })), 'times_three_float');
    // Opened through the file inside the version folder: still the base folder's name.
    assert.equal(defaultModelName(model([], { dir: '/a/half_plus_two/00000123', version: undefined })), 'half_plus_two');
  });
});
