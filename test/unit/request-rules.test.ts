/**
 * The rule table of request validation: for every finding code, a body that triggers it (with the
 * exact text of the range it must point at) and a body that must not. Then the fixes: applying a
 * finding's edits must make the body clean of that finding.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Shape, Signature, TensorSpec } from '../../src/core/model/types';
import { REQUEST_CODES } from '../../src/core/request/codes';
import type { FindingSeverity, RequestFinding, TargetKind, TextEdit, ValidateOptions } from '../../src/core/request/types';
import { validateRequest } from '../../src/core/request/validate';

function t(alias: string, dtype: string, shape: Shape): TensorSpec {
  return { alias, dtype, shape, tensor: `${alias}:0` };
}
function sig(name: string, method: string, inputs: TensorSpec[]): Signature {
  return { name, method, inputs, outputs: [t('y', 'DT_FLOAT', [-1, 1])] };
}
const PREDICT = 'tensorflow/serving/predict';
const CLASSIFY = 'tensorflow/serving/classify';
const REGRESS = 'tensorflow/serving/regress';

/** half_plus_two_cpu's signatures, as the fixtures README lists them. */
const HP2: Signature[] = [
  sig('serving_default', PREDICT, [t('x', 'DT_FLOAT', [-1, 1])]),
  sig('regress_x_to_y', REGRESS, [t('inputs', 'DT_STRING', null)]),
  sig('classify_x_to_y', CLASSIFY, [t('inputs', 'DT_STRING', null)]),
  sig('regress_x2_to_y3', REGRESS, [t('inputs', 'DT_FLOAT', [-1, 1])]),
];
const one = (dtype: string, shape: Shape, alias = 'x'): Signature[] => [sig('serving_default', PREDICT, [t(alias, dtype, shape)])];
const TWO: Signature[] = [sig('serving_default', PREDICT, [t('a', 'DT_FLOAT', [-1]), t('b', 'DT_FLOAT', [-1])])];

function run(body: string, o: Partial<ValidateOptions> = {}): RequestFinding[] {
  return validateRequest(body, { fileKind: 'json', ...o }).findings;
}

interface Rule {
  code: string;
  bad: string;
  /** The exact text the finding's range covers in `bad`. */
  range: string;
  /** Which occurrence of `range` in `bad` (default 0). */
  nth?: number;
  severity?: FindingSeverity;
  ok: string;
  sigs?: Signature[];
  target?: TargetKind;
  fileKind?: 'json' | 'jsonl';
  signatureName?: string;
}

function nthIndex(s: string, sub: string, n: number): number {
  let i = -1;
  for (let k = 0; k <= n; k++) {
    i = s.indexOf(sub, i + 1);
    if (i < 0) return -1;
  }
  return i;
}

const BIG_BODY = `{"instances": [${Array.from({ length: 250_000 }, () => '[1.0]').join(', ')}]}`;

const RULES: Rule[] = [
  // -- JSON --
  { code: 'syntax', bad: '{"instances": [1.0 2.0]}', range: '2.0', ok: '{"instances": [1.0, 2.0]}', sigs: HP2 },
  { code: 'comment', bad: '{"instances": [1.0] // one\n}', range: '// one', ok: '{"instances": [1.0]\n}', sigs: HP2 },
  { code: 'trailing-comma', bad: '{"instances": [1.0,]}', range: ',', ok: '{"instances": [1.0]}', sigs: HP2 },
  { code: 'byte-order-mark', bad: '\ufeff{"instances": [[1.0]]}', range: '\ufeff', severity: 'warning', ok: '{"instances": [[1.0]]}', sigs: HP2 },
  { code: 'non-finite-number', bad: '{"instances": [[NaN], [-Infinity]]}', range: 'NaN', ok: '{"instances": [[1.0], [2.0]]}', sigs: HP2, target: 'vertex' },
  { code: 'duplicate-key', bad: '{"instances": [{"x": [1.0], "x": [2.0]}]}', range: '"x"', nth: 1, ok: '{"instances": [{"x": [1.0]}]}', sigs: HP2 },
  { code: 'empty-file', bad: ' \n ', range: '', ok: '{"instances": [[1.0]]}', sigs: HP2 },
  // -- structure --
  { code: 'top-level-not-object', bad: '[[1.0], [2.0]]', range: '[[1.0], [2.0]]', ok: '{"instances": [[1.0], [2.0]]}', sigs: HP2 },
  { code: 'missing-instances', bad: '{"signature_name": "serving_default"}', range: '{', ok: '{"signature_name": "serving_default", "instances": [[1.0]]}', sigs: HP2 },
  { code: 'conflicting-formats', bad: '{"instances": [[1.0]], "inputs": [[1.0]]}', range: '"inputs"', ok: '{"inputs": [[1.0]]}', sigs: HP2 },
  { code: 'instances-not-list', bad: '{"instances": {"x": 1.0}}', range: '{"x": 1.0}', ok: '{"instances": [{"x": [1.0]}]}', sigs: HP2 },
  { code: 'empty-instances', bad: '{"instances": [ ]}', range: '[ ]', ok: '{"instances": [[1.0]]}', sigs: HP2 },
  { code: 'instances-mixed', bad: '{"instances": [{"x": [1.0]}, [2.0]]}', range: '[2.0]', ok: '{"instances": [{"x": [1.0]}, {"x": [2.0]}]}', sigs: HP2 },
  { code: 'signature-name-not-string', bad: '{"signature_name": 1, "instances": [[1.0]]}', range: '1', ok: '{"signature_name": "serving_default", "instances": [[1.0]]}', sigs: HP2 },
  { code: 'parameters-not-object', bad: '{"instances": [[1.0]], "parameters": [1]}', range: '[1]', ok: '{"instances": [[1.0]], "parameters": {"threshold": 0.5}}', sigs: HP2 },
  { code: 'unknown-key', bad: '{"instances": [[1.0]], "deployedModelId": "1"}', range: '"deployedModelId"', severity: 'warning', ok: '{"instances": [[1.0]], "parameters": {}}', sigs: HP2 },
  { code: 'unsupported-field', bad: '{"signature_name": "serving_default", "instances": [[1.0]]}', range: '"signature_name"', ok: '{"instances": [[1.0]], "parameters": {}}', sigs: HP2, target: 'vertex' },
  { code: 'embedded-object', bad: '{"instances": [{"x": [{"v": 1.0}]}]}', range: '{"v": 1.0}', ok: '{"instances": [{"x": [1.0]}]}', sigs: HP2 },
  { code: 'null-value', bad: '{"instances": [[null]]}', range: 'null', ok: '{"instances": [[0.0]]}', sigs: HP2 },
  { code: 'mixed-list', bad: '{"instances": [["a", 1]]}', range: '1', ok: '{"instances": [["a", "b"]]}', sigs: one('DT_STRING', [-1, 2]) },
  { code: 'ragged-list', bad: '{"instances": [[[1.0, 2.0], [3.0]]]}', range: '[3.0]', ok: '{"instances": [[[1.0, 2.0], [3.0, 4.0]]]}', sigs: one('DT_FLOAT', [-1, 2, 2]) },
  { code: 'instance-shape-differs', bad: '{"instances": [[1.0, 2.0], [1.0, 2.0, 3.0]]}', range: '[1.0, 2.0, 3.0]', ok: '{"instances": [[1.0, 2.0], [3.0, 4.0]]}', sigs: one('DT_FLOAT', [-1, -1]) },
  { code: 'example-not-object', bad: '{"signature_name": "classify_x_to_y", "examples": [2.0]}', range: '2.0', ok: '{"signature_name": "classify_x_to_y", "examples": [{"x": 2.0}]}', sigs: HP2 },
  { code: 'example-nested-list', bad: '{"signature_name": "classify_x_to_y", "examples": [{"x": [[2.0]]}]}', range: '[2.0]', ok: '{"signature_name": "classify_x_to_y", "examples": [{"x": [2.0]}]}', sigs: HP2 },
  { code: 'example-mixed-feature', bad: '{"signature_name": "classify_x_to_y", "examples": [{"x": [2.0, 3]}]}', range: '3', ok: '{"signature_name": "classify_x_to_y", "examples": [{"x": [2.0, 3.0]}]}', sigs: HP2 },
  { code: 'context-feature-repeated', bad: '{"signature_name": "classify_x_to_y", "context": {"x": 1.0}, "examples": [{"x": 2.0}]}', range: '"x"', severity: 'warning', ok: '{"signature_name": "classify_x_to_y", "context": {"age": 1}, "examples": [{"x": 2.0}]}', sigs: HP2 },
  { code: 'jsonl-body-per-line', bad: '{"x": [1.0]}\n{"instances": [[1.0]]}\n', range: '"instances"', ok: '{"x": [1.0]}\n{"x": [2.0]}\n', sigs: HP2, fileKind: 'jsonl' },
  { code: 'duplicate-instance-key', bad: '{"x": [1.0], "key": "a"}\n{"x": [2.0], "key": "a"}\n', range: '"a"', nth: 1, ok: '{"x": [1.0], "key": "a"}\n{"x": [2.0], "key": "b"}\n', sigs: HP2, fileKind: 'jsonl' },
  { code: 'body-too-large', bad: BIG_BODY, range: '"instances"', ok: '{"instances": [[1.0]]}', sigs: HP2, target: 'vertex' },
  // -- against the signature --
  { code: 'structural-only', bad: '{"instances": [[1.0]]}', range: '{', severity: 'info', ok: '{"instances": [[1.0]]}', sigs: undefined },
  { code: 'unknown-signature', bad: '{"signature_name": "serving", "instances": [[1.0]]}', range: '"serving"', ok: '{"signature_name": "serving_default", "instances": [[1.0]]}', sigs: HP2 },
  { code: 'missing-signature-name', bad: '{"instances": [[1.0]]}', range: '"instances"', ok: '{"signature_name": "regress_x2_to_y3", "instances": [[1.0]]}', sigs: HP2.slice(1) },
  { code: 'signature-without-inputs', bad: '{"signature_name": "__saved_model_init_op", "instances": [[1.0]]}', range: '"__saved_model_init_op"', ok: '{"instances": [[1.0]]}', sigs: [...HP2, { name: '__saved_model_init_op', method: '', inputs: [], outputs: [t('__saved_model_init_op', 'DT_INVALID', null)] }] },
  { code: 'method-mismatch', bad: '{"examples": [{"x": 2.0}]}', range: '"examples"', ok: '{"signature_name": "classify_x_to_y", "examples": [{"x": 2.0}]}', sigs: HP2 },
  { code: 'examples-on-predict-signature', bad: '{"signature_name": "classify_x_to_y", "examples": [{"x": 2.0}]}', range: '"examples"', severity: 'info', ok: '{"signature_name": "classify_x_to_y", "examples": [{"x": 2.0}]}', sigs: [sig('classify_x_to_y', PREDICT, [t('inputs', 'DT_STRING', [-1])])] },
  { code: 'unknown-alias', bad: '{"instances": [{"X": [1.0]}]}', range: '"X"', ok: '{"instances": [{"x": [1.0]}]}', sigs: HP2 },
  { code: 'missing-alias', bad: '{"instances": [{"a": 1.0, "b": 2.0}, {"a": 1.0}]}', range: '{', nth: 2, ok: '{"instances": [{"a": 1.0, "b": 2.0}, {"b": 3.0, "a": 1.0}]}', sigs: TWO },
  { code: 'bare-instance-multiple-inputs', bad: '{"instances": [1.0, 2.0]}', range: '1.0', ok: '{"instances": [{"a": 1.0, "b": 2.0}]}', sigs: TWO },
  { code: 'dtype-mismatch', bad: '{"instances": [[1.0], ["2.0"]]}', range: '"2.0"', ok: '{"instances": [[1.0], [2.0]]}', sigs: HP2 },
  { code: 'not-an-integer', bad: '{"instances": [1, 2.5]}', range: '2.5', ok: '{"instances": [1, 2]}', sigs: one('DT_INT32', [-1]) },
  { code: 'int-out-of-range', bad: '{"instances": [0, 255, 256]}', range: '256', ok: '{"instances": [0, 255]}', sigs: one('DT_UINT8', [-1]) },
  { code: 'lossy-number', bad: '{"instances": [16777217]}', range: '16777217', ok: '{"instances": [16777215, 16777217.0]}', sigs: one('DT_FLOAT', [-1]) },
  { code: 'dtype-unsupported', bad: '{"instances": [1.0]}', range: '1.0', severity: 'warning', ok: '{"instances": [1.0]}', sigs: one('DT_FLOAT', [-1]) },
  { code: 'b64-invalid', bad: '{"instances": [{"b64": "aGk_-w"}]}', range: '"aGk_-w"', ok: '{"instances": [{"b64": "aGk/+w"}]}', sigs: one('DT_STRING', [-1], 'image_bytes') },
  { code: 'b64-non-string', bad: '{"instances": [{"b64": "AAAA"}]}', range: '{"b64": "AAAA"}', ok: '{"instances": [1.0]}', sigs: one('DT_FLOAT', [-1]) },
  { code: 'b64-expected', bad: '{"instances": ["AAAA"]}', range: '"AAAA"', severity: 'warning', ok: '{"instances": [{"b64": "AAAA"}]}', sigs: one('DT_STRING', [-1], 'image_bytes') },
  { code: 'binary-alias-suffix', bad: '{"instances": [{"b64": "AAAA"}]}', range: '{"b64": "AAAA"}', severity: 'info', ok: '{"instances": ["plain text"]}', sigs: one('DT_STRING', [-1], 'image') },
  { code: 'shape-mismatch', bad: '{"instances": [[1.0, 2.0, 3.0, 4.0]]}', range: '[1.0, 2.0, 3.0, 4.0]', ok: '{"instances": [[1.0, 2.0, 3.0, 4.0, 5.0]]}', sigs: one('DT_FLOAT', [-1, 5]) },
  { code: 'shape-rank', bad: '{"instances": [[[1.0, 2.0], [3.0, 4.0]]]}', range: '[[1.0, 2.0], [3.0, 4.0]]', severity: 'warning', ok: '{"instances": [[1.0, 2.0]]}', sigs: one('DT_FLOAT', [-1, -1]) },
  { code: 'shape-size-one', bad: '{"instances": [1.0, 2.0, 5.0]}', range: '1.0', severity: 'info', ok: '{"instances": [[1.0], [2.0], [5.0]]}', sigs: HP2 },
  { code: 'shape-batched-scalar', bad: '{"instances": [1.0, 2.0, 3.0]}', range: '1.0', severity: 'info', ok: '{"instances": [1.0, 2.0, 3.0]}', sigs: one('DT_FLOAT', [-1]) },
  { code: 'batch-size', bad: '{"instances": [[1.0, 2.0, 3.0]]}', range: '[1.0, 2.0, 3.0]', ok: '{"instances": [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]}', sigs: one('DT_FLOAT', [2, 3]) },
  { code: 'batch-size-mismatch', bad: '{"inputs": {"a": [1.0, 2.0], "b": [3.0]}}', range: '[3.0]', severity: 'warning', ok: '{"inputs": {"a": [1.0, 2.0], "b": [3.0, 4.0]}}', sigs: TWO },
];

/** Rules whose trigger needs a second signature to show the "ok" side is different. */
const OK_SIGS: Record<string, Signature[]> = {
  'dtype-unsupported': one('DT_FLOAT', [-1]),
  'shape-batched-scalar': one('DT_FLOAT', [-1]),
  'examples-on-predict-signature': HP2,
  'structural-only': HP2,
};
const BAD_SIGS: Record<string, Signature[]> = {
  'dtype-unsupported': one('DT_HALF', [-1]),
  'shape-batched-scalar': one('DT_FLOAT', []),
};

describe('request rule table', () => {
  for (const r of RULES) {
    it(`${r.code}: triggered at the offending value, not by the good body`, () => {
      const base = { signatures: BAD_SIGS[r.code] ?? r.sigs, target: r.target, fileKind: r.fileKind ?? 'json' } as const;
      const bad = run(r.bad, base);
      const hits = bad.filter((f) => f.code === r.code);
      assert.ok(hits.length > 0, `${r.code} not reported; got ${JSON.stringify(bad.map((f) => f.code))}`);
      const start = nthIndex(r.bad, r.range, r.nth ?? 0);
      assert.ok(start >= 0, 'range text is in the body');
      const hit = hits.find((f) => f.range.start === start && f.range.end === start + r.range.length);
      assert.ok(hit, `${r.code} at ${JSON.stringify(r.range)}; got ${JSON.stringify(hits.map((f) => r.bad.slice(f.range.start, f.range.end)))}`);
      assert.equal(hit.severity, r.severity ?? 'error');
      assert.ok(hit.message.length > 20);
      // 1-based line/column agree with the range.
      const before = r.bad.slice(0, hit.range.start).split(/\r\n|\r|\n/);
      assert.equal(hit.line, before.length);
      assert.equal(hit.column, before[before.length - 1]!.length + 1);

      const okSigs = r.code in OK_SIGS ? OK_SIGS[r.code] : r.sigs;
      const good = run(r.ok, { ...base, signatures: okSigs });
      assert.deepEqual(good.filter((f) => f.code === r.code).map((f) => f.message), [], `${r.code} reported on the good body`);
      assert.deepEqual(good.filter((f) => f.severity === 'error').map((f) => f.code), [], 'the good body has no error');
    });
  }

  it('covers every request code (binding codes and caps are tested elsewhere)', () => {
    const elsewhere = new Set(['binding-invalid', 'binding-target-invalid', 'more-findings', 'instance-keys-not-checked']);
    const covered = new Set(RULES.map((r) => r.code));
    const missing = REQUEST_CODES.map((c) => c.code).filter((c) => !covered.has(c) && !elsewhere.has(c));
    assert.deepEqual(missing, []);
    for (const r of RULES) assert.ok(REQUEST_CODES.some((c) => c.code === r.code), `${r.code} is in the code table`);
  });
});

describe('severity follows the serving behaviour and the target', () => {
  it('NaN/Infinity: error for Vertex AI naming it, info for TF Serving, warning with no target', () => {
    const body = '{"instances": [[NaN], [Infinity], [-Infinity]]}';
    const v = run(body, { signatures: HP2, target: 'vertex' }).filter((f) => f.code === 'non-finite-number');
    assert.equal(v.length, 3);
    assert.ok(v.every((f) => f.severity === 'error' && /Vertex AI/.test(f.message)));
    const tf = run(body, { signatures: HP2, target: 'tf-serving' }).filter((f) => f.code === 'non-finite-number');
    assert.ok(tf.every((f) => f.severity === 'info' && /TF Serving/.test(f.message)));
    assert.ok(run(body, { signatures: HP2 }).filter((f) => f.code === 'non-finite-number').every((f) => f.severity === 'warning'));
  });

  it('TF Serving\'s own half_plus_two requests produce no error or warning', () => {
    for (const body of ['{"instances": [1.0, 2.0, 5.0]}', '{"inputs": [2.0, 3.0, 4.0]}', '{"instances": [[1.0, 2.0], [3.0, 4.0]]}', '{"instances": [[2.0]]}']) {
      const bad = run(body, { signatures: HP2, target: 'tf-serving' }).filter((f) => f.severity !== 'info');
      assert.deepEqual(bad, [], body);
    }
  });

  it('a known dimension larger than 1 that differs is an error; a declared size-1 dimension never is', () => {
    assert.ok(run('{"instances": [[1, 2, 3, 4]]}', { signatures: one('DT_FLOAT', [-1, 5]) }).some((f) => f.code === 'shape-mismatch' && /\[5\] per instance/.test(f.message) && /\[4\]/.test(f.message)));
    assert.ok(!run('{"instances": [[1, 2, 3, 4]]}', { signatures: one('DT_FLOAT', [-1, 1]) }).some((f) => f.severity === 'error'));
    // [-1, 3] given [3] per batch of 1 (rank differs only by a 1): size-one, not an error.
    assert.ok(run('{"inputs": [1.0, 2.0, 3.0]}', { signatures: one('DT_FLOAT', [-1, 3]) }).some((f) => f.code === 'shape-size-one'));
    // An image missing its channel dimension.
    assert.ok(run('{"instances": [[[1, 2], [3, 4]]]}', { signatures: one('DT_FLOAT', [-1, 2, 2, 3]) }).some((f) => f.code === 'shape-mismatch'));
    // Unknown rank matches anything.
    assert.ok(!run('{"instances": [[[[1]]]]}', { signatures: one('DT_FLOAT', null) }).some((f) => f.code.startsWith('shape')));
  });

  it('integer dtypes: exact 64-bit bounds, integer literals only', () => {
    const i64 = one('DT_INT64', [-1]);
    assert.ok(!run('{"instances": [9223372036854775807, -9223372036854775808]}', { signatures: i64 }).some((f) => f.severity === 'error'));
    const over = run('{"instances": [9223372036854775808]}', { signatures: i64 }).filter((f) => f.code === 'int-out-of-range');
    assert.equal(over.length, 1);
    const u64 = one('DT_UINT64', [-1]);
    assert.ok(!run('{"instances": [18446744073709551615]}', { signatures: u64 }).some((f) => f.severity === 'error'));
    assert.ok(run('{"instances": [-1]}', { signatures: u64 }).some((f) => f.code === 'int-out-of-range'));
    assert.ok(run('{"instances": [1e3]}', { signatures: one('DT_INT32', [-1]) }).some((f) => f.code === 'not-an-integer'));
    assert.ok(run('{"instances": [true]}', { signatures: one('DT_INT32', [-1]) }).some((f) => f.code === 'dtype-mismatch'));
    assert.ok(run('{"instances": [128]}', { signatures: one('DT_INT8', [-1]) }).some((f) => f.code === 'int-out-of-range'));
    assert.ok(!run('{"instances": [-128, 127]}', { signatures: one('DT_INT8', [-1]) }).some((f) => f.severity === 'error'));
    assert.ok(run('{"instances": [65536]}', { signatures: one('DT_UINT16', [-1]) }).some((f) => f.code === 'int-out-of-range'));
    assert.ok(run('{"instances": [0, 1]}', { signatures: one('DT_BOOL', [-1]) }).some((f) => f.code === 'dtype-mismatch'));
    assert.ok(!run('{"instances": [9007199254740993]}', { signatures: one('DT_DOUBLE', [-1]) }).every((f) => f.code !== 'lossy-number'));
    assert.ok(run('{"instances": [1e39]}', { signatures: one('DT_FLOAT', [-1]) }).some((f) => f.code === 'lossy-number'));
    assert.ok(!run('{"instances": [1e39]}', { signatures: one('DT_DOUBLE', [-1]) }).some((f) => f.code === 'lossy-number'));
  });

  it('a predict body to a classify signature warns and points to :classify; serialized Examples as b64 do not', () => {
    const f = run('{"signature_name": "classify_x_to_y", "instances": [{"x": 2.0}]}', { signatures: HP2 });
    assert.ok(f.some((x) => x.code === 'method-mismatch' && x.severity === 'warning' && /examples/.test(x.message)));
    const ok = run('{"signature_name": "classify_x_to_y", "instances": [{"b64": "CgoKCAoBeBIDCgEA"}]}', { signatures: HP2 });
    assert.ok(!ok.some((x) => x.code === 'method-mismatch'));
  });

  it('signature_name written after the instances still decides the signature', () => {
    const body = '{"instances": [[2.0]], "signature_name": "regress_x2_to_y3"}';
    const r = validateRequest(body, { fileKind: 'json', signatures: HP2 });
    assert.equal(r.signature, 'regress_x2_to_y3');
    assert.deepEqual(r.findings.filter((f) => f.severity !== 'info'), []);
    const wrong = validateRequest('{"instances": [{"x": [2.0]}], "signature_name": "regress_x2_to_y3"}', { fileKind: 'json', signatures: HP2 });
    assert.ok(wrong.findings.some((f) => f.code === 'unknown-alias' && /"inputs"/.test(f.message)));
  });

  it('columnar: an extra tensor is a warning (TF Serving ignores it) unless an input is missing', () => {
    const extra = run('{"inputs": {"a": [1.0], "b": [2.0], "c": [3.0]}}', { signatures: TWO }).find((f) => f.code === 'unknown-alias')!;
    assert.equal(extra.severity, 'warning');
    const typo = run('{"inputs": {"a": [1.0], "bb": [2.0]}}', { signatures: TWO }).find((f) => f.code === 'unknown-alias')!;
    assert.equal(typo.severity, 'error');
    assert.match(typo.message, /did you mean "b"/);
  });

  it('lists the model\'s signatures when signature_name is unknown, with a replace fix per signature', () => {
    const f = run('{"signature_name": "classify", "examples": [{"x": 2.0}]}', { signatures: HP2 }).find((x) => x.code === 'unknown-signature')!;
    for (const s of HP2) assert.ok(f.message.includes(`"${s.name}"`), s.name);
    assert.ok(f.fixes!.length >= HP2.length);
    assert.equal(f.fixes!.filter((x) => x.preferred).length, 1);
  });
});

function apply(text: string, edits: readonly TextEdit[]): string {
  let out = text;
  for (const e of [...edits].sort((a, b) => b.start - a.start)) out = out.slice(0, e.start) + e.newText + out.slice(e.end);
  return out;
}

function fixOf(f: RequestFinding[], code: string, title: RegExp): TextEdit[] {
  const finding = f.find((x) => x.code === code);
  assert.ok(finding, `${code} reported`);
  const fix = finding.fixes?.find((x) => title.test(x.title));
  assert.ok(fix, `${code} has a fix ${title}; got ${JSON.stringify(finding.fixes?.map((x) => x.title))}`);
  return fix.edits;
}

describe('fixes are text edits over the original text that resolve the finding', () => {
  const clean = (text: string, o: Partial<ValidateOptions>) => run(text, o).filter((f) => f.severity !== 'info');

  it('rename an alias to the closest expected one, in one instance or in all of them', () => {
    const body = '{"instances": [{"X": [1.0]}, {"X": [2.0]}]}';
    const f = run(body, { signatures: HP2 });
    const all = fixOf(f, 'unknown-alias', /in all 2 instances/);
    assert.deepEqual(clean(apply(body, all), { signatures: HP2 }), []);
    const here = apply(body, fixOf(f, 'unknown-alias', /^Rename "X" to "x"$/));
    assert.equal(here, '{"instances": [{"x": [1.0]}, {"X": [2.0]}]}');
  });

  it('remove an unknown key (instance member and top-level member)', () => {
    const body = '{"instances": [{"x": [1.0], "extra": 1}], "deployedModelId": "7"}';
    const f = run(body, { signatures: HP2 });
    const a = apply(body, fixOf(f, 'unknown-alias', /Remove "extra"/));
    assert.equal(a, '{"instances": [{"x": [1.0]}], "deployedModelId": "7"}');
    const b = apply(a, fixOf(run(a, { signatures: HP2 }), 'unknown-key', /Remove/));
    assert.equal(b, '{"instances": [{"x": [1.0]}]}');
    const first = '{"instances": [{"extra": 1, "x": [1.0]}]}';
    assert.equal(apply(first, fixOf(run(first, { signatures: HP2 }), 'unknown-alias', /Remove/)), '{"instances": [{"x": [1.0]}]}');
  });

  it('add a missing alias with an example value of its dtype and shape', () => {
    const body = '{"instances": [{"a": 1.0}]}';
    const fixed = apply(body, fixOf(run(body, { signatures: TWO }), 'missing-alias', /Add "b"/));
    assert.deepEqual(clean(fixed, { signatures: TWO }), []);
  });

  it('wrap a string as {"b64": ...}, or encode the literal when it is not base64', () => {
    const sigs = one('DT_STRING', [-1], 'image_bytes');
    const body = '{"instances": ["aGVsbG8="]}';
    const wrapped = apply(body, fixOf(run(body, { signatures: sigs }), 'b64-expected', /already base64/));
    assert.equal(wrapped, '{"instances": [{"b64": "aGVsbG8="}]}');
    const raw = '{"instances": ["hello world!"]}';
    const f = run(raw, { signatures: sigs }).find((x) => x.code === 'b64-expected')!;
    assert.ok(!f.fixes!.some((x) => /already base64/.test(x.title)), 'no wrap-as-is for text that is not base64');
    const encoded = apply(raw, fixOf([f], 'b64-expected', /Encode/));
    assert.equal(encoded, `{"instances": [{"b64": "${Buffer.from('hello world!').toString('base64')}"}]}`);
    assert.deepEqual(clean(encoded, { signatures: sigs }), []);
  });

  it('convert the URL-safe base64 alphabet to the standard one', () => {
    const sigs = one('DT_STRING', [-1], 'image_bytes');
    const body = '{"instances": [{"b64": "-_8="}]}';
    const f = run(body, { signatures: sigs }).find((x) => x.code === 'b64-invalid')!;
    assert.match(f.message, /URL-safe/);
    assert.equal(apply(body, fixOf([f], 'b64-invalid', /standard/)), '{"instances": [{"b64": "+/8="}]}');
  });

  it('add or correct signature_name', () => {
    const wrong = '{"signature_name": "clasify_x_to_y", "examples": [{"x": 2.0}]}';
    const fixed = apply(wrong, run(wrong, { signatures: HP2 }).find((x) => x.code === 'unknown-signature')!.fixes!.find((x) => x.preferred)!.edits);
    assert.equal(fixed, '{"signature_name": "classify_x_to_y", "examples": [{"x": 2.0}]}');
    const missing = '{\n  "examples": [{"x": 2.0}]\n}';
    const f = run(missing, { signatures: HP2 }).find((x) => x.code === 'method-mismatch')!;
    const add = apply(missing, f.fixes!.find((x) => /classify_x_to_y/.test(x.title))!.edits);
    assert.equal(add, '{\n  "signature_name": "classify_x_to_y",\n  "examples": [{"x": 2.0}]\n}');
    assert.deepEqual(clean(add, { signatures: HP2 }), []);
  });

  it('convert columnar to row format for Vertex AI (a fix on the inputs key)', () => {
    const body = '{"inputs": {"a": [1.0, 2.0], "b": [3.0, 4.0]}}';
    const f = run(body, { signatures: TWO, target: 'vertex' });
    const row = apply(body, fixOf(f, 'unsupported-field', /Convert to row/));
    assert.equal(row, '{"instances": [{"a": 1.0, "b": 3.0}, {"a": 2.0, "b": 4.0}]}');
    assert.deepEqual(clean(row, { signatures: TWO, target: 'vertex' }), []);
  });

  it('wrap a bare list in {"instances": ...}; remove comments and trailing commas; write integers without a decimal point', () => {
    const list = '[[1.0], [2.0]]';
    assert.equal(apply(list, fixOf(run(list, { signatures: HP2 }), 'top-level-not-object', /Wrap/)), '{"instances": [[1.0], [2.0]]}');
    const messy = '{"instances": [[1.0],], /* c */ }';
    let text = messy;
    for (let i = 0; i < 4; i++) {
      const f = run(text, { signatures: HP2 }).find((x) => x.fixes?.length && (x.code === 'trailing-comma' || x.code === 'comment'));
      if (!f) break;
      text = apply(text, f.fixes![0]!.edits);
    }
    assert.deepEqual(clean(text, { signatures: HP2 }), []);
    const ints = '{"instances": [2.0]}';
    assert.equal(apply(ints, fixOf(run(ints, { signatures: one('DT_INT32', [-1]) }), 'not-an-integer', /Write 2/)), '{"instances": [2]}');
  });
});

describe('bounded output', () => {
  it('caps findings per code and says how many were left out', () => {
    const body = `{"instances": [${Array.from({ length: 300 }, () => '{"X": [1.0]}').join(', ')}]}`;
    const f = run(body, { signatures: HP2 });
    assert.equal(f.filter((x) => x.code === 'unknown-alias').length, 100);
    const more = f.filter((x) => x.code === 'more-findings');
    assert.ok(more.some((x) => /200 more "unknown-alias"/.test(x.message)), JSON.stringify(more.map((x) => x.message)));
    // The typo of the missing alias is reported once, as unknown-alias with its rename, not also as missing.
    assert.equal(f.filter((x) => x.code === 'missing-alias').length, 0);
    const lacking = run(`{"instances": [${Array.from({ length: 300 }, () => '{"a": 1.0}').join(', ')}]}`, { signatures: TWO });
    assert.equal(lacking.filter((x) => x.code === 'missing-alias').length, 100);
    assert.ok(lacking.some((x) => x.code === 'more-findings' && /200 more "missing-alias"/.test(x.message)));
  });
});
