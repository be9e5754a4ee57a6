/**
 * What the editor asks at a position: the alias under the cursor (hover) and what to complete
 * (top-level keys, the signature's aliases, signature names) — also in text being typed — and the
 * row ↔ columnar conversion.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Signature } from '../../src/core/model/types';
import type { TextEdit } from '../../src/core/request/types';
import { signatureNameOf } from '../../src/core/request/locate';
import { aliasAt, completionContext, convertFormat, validateRequest } from '../../src/core/request/validate';

const SIGS: Signature[] = [
  {
    name: 'serving_default',
    method: 'tensorflow/serving/predict',
    inputs: [
      { alias: 'image_bytes', dtype: 'DT_STRING', shape: [-1], tensor: 'image:0' },
      { alias: 'key', dtype: 'DT_STRING', shape: [-1], tensor: 'key:0' },
    ],
    outputs: [],
  },
  { name: 'classify', method: 'tensorflow/serving/classify', inputs: [{ alias: 'inputs', dtype: 'DT_STRING', shape: null, tensor: 'tf_example:0' }], outputs: [] },
];

/** The offset of the n-th "|" marker, and the text without markers. */
function cursor(marked: string): { text: string; at: number } {
  const at = marked.indexOf('|');
  return { text: marked.slice(0, at) + marked.slice(at + 1), at };
}

describe('aliasAt (hover)', () => {
  const body = '{\n  "instances": [\n    {"image_bytes": {"b64": "AA=="}, "key": "a"},\n    {"image_bytes": {"b64": "AA=="}, "key": "b"}\n  ],\n  "signature_name": "serving_default"\n}';
  it('finds the alias key and its instance in row format', () => {
    const second = body.indexOf('"key"', body.indexOf('"key"') + 1);
    for (const off of [second, second + 2, second + 4]) {
      assert.deepEqual(aliasAt(body, off), { alias: 'key', range: { start: second, end: second + 5 }, instanceIndex: 1, format: 'row' });
    }
    assert.equal(aliasAt(body, second + 5), undefined, 'just after the closing quote');
  });
  it('is undefined on values, top-level keys, "b64" keys and outside instances', () => {
    assert.equal(aliasAt(body, body.indexOf('"a"') + 1), undefined);
    assert.equal(aliasAt(body, body.indexOf('"instances"') + 1), undefined);
    assert.equal(aliasAt(body, body.indexOf('"b64"') + 1), undefined);
    assert.equal(aliasAt(body, body.indexOf('"signature_name"') + 2), undefined);
  });
  it('columnar "inputs" and JSON Lines', () => {
    const col = '{"inputs": {"key": ["a"], "image_bytes": [{"b64": "AA=="}]}}';
    assert.deepEqual(aliasAt(col, col.indexOf('"image_bytes"') + 3), { alias: 'image_bytes', range: { start: col.indexOf('"image_bytes"'), end: col.indexOf('"image_bytes"') + 13 }, instanceIndex: undefined, format: 'columnar' });
    const jl = '{"key": "a"}\n{"key": "b", "image_bytes": {"b64": "AA=="}}\n';
    const off = jl.indexOf('"image_bytes"') + 1;
    assert.deepEqual(aliasAt(jl, off, 'jsonl'), { alias: 'image_bytes', range: { start: off - 1, end: off + 12 }, instanceIndex: 1, format: 'row' });
  });
  it('decodes escaped keys', () => {
    const text = '{"instances": [{"k\\u0065y": "a"}]}';
    assert.equal(aliasAt(text, text.indexOf('"k') + 1)?.alias, 'key');
  });
});

describe('completionContext', () => {
  it('offers the signature\'s aliases inside an instance being typed, minus those present', () => {
    const { text, at } = cursor('{"instances": [{"key": "a", "im|');
    const c = completionContext(text, at, { signatures: SIGS })!;
    assert.equal(c.kind, 'alias');
    assert.equal(c.inString, true);
    assert.deepEqual(c.range, { start: text.lastIndexOf('"im'), end: text.length });
    assert.deepEqual(c.present, ['key']);
    assert.equal(c.instanceIndex, 0);
    assert.deepEqual(c.items.map((i) => i.label), ['image_bytes']);
    assert.match(c.items[0]!.detail!, /DT_STRING \[-1\]/);
  });

  it('between tokens: an empty range and quotes to insert', () => {
    const { text, at } = cursor('{"instances": [{"key": "a"}, { | }]}');
    const c = completionContext(text, at, { signatures: SIGS })!;
    assert.deepEqual([c.kind, c.inString, c.range.start, c.range.end, c.instanceIndex], ['alias', false, at, at, 1]);
    assert.deepEqual(c.items.map((i) => i.label), ['image_bytes', 'key']);
  });

  it('uses the signature named in the body, even when it is written after the cursor', () => {
    const { text, at } = cursor('{"instances": [{|}], "signature_name": "classify"}');
    const c = completionContext(text, at, { signatures: SIGS })!;
    assert.equal(c.signatureName, 'classify');
    assert.deepEqual(c.items.map((i) => i.label), ['inputs']);
  });

  it('top-level keys not yet written', () => {
    const { text, at } = cursor('{"instances": [], |}');
    const c = completionContext(text, at, { signatures: SIGS })!;
    assert.equal(c.kind, 'top-level-key');
    assert.deepEqual(c.items.map((i) => i.label), ['inputs', 'signature_name', 'examples', 'context', 'parameters']);
  });

  it('signature names in the signature_name value, with their inputs', () => {
    const { text, at } = cursor('{"signature_name": "cl|", "instances": []}');
    const c = completionContext(text, at, { signatures: SIGS })!;
    assert.equal(c.kind, 'signature-name');
    assert.deepEqual(c.items.map((i) => i.label), ['serving_default', 'classify']);
    assert.match(c.items[1]!.documentation!, /inputs \(DT_STRING unknown rank\)/);
  });

  it('columnar inputs and JSON Lines lines', () => {
    const a = cursor('{"inputs": {"|"}}');
    assert.deepEqual([completionContext(a.text, a.at, { signatures: SIGS })!.kind, completionContext(a.text, a.at, { signatures: SIGS })!.format], ['alias', 'columnar']);
    const b = cursor('{"key": "a"}\n{"key": "b", |');
    const c = completionContext(b.text, b.at, { signatures: SIGS, fileKind: 'jsonl' })!;
    assert.deepEqual([c.kind, c.instanceIndex, c.present], ['alias', 1, ['key']]);
  });

  it('nothing to offer inside values, numbers and deeper lists', () => {
    for (const m of ['{"instances": [{"key": "a|"}]}', '{"instances": [1|]}', '{"instances": [[|]]}', '{"parameters": {"a": {|}}}']) {
      const { text, at } = cursor(m);
      assert.equal(completionContext(text, at, { signatures: SIGS }), undefined, m);
    }
  });
});

function apply(text: string, edits: readonly TextEdit[]): string {
  let out = text;
  for (const e of [...edits].sort((a, b) => b.start - a.start)) out = out.slice(0, e.start) + e.newText + out.slice(e.end);
  return out;
}

describe('convertFormat', () => {
  it('row → columnar → row keeps every value text and the layout style', () => {
    const row = '{\n  "signature_name": "serving_default",\n  "instances": [\n    {"image_bytes": {"b64": "AA=="}, "key": "a"},\n    {"image_bytes": {"b64": "AQ=="}, "key": "b"}\n  ]\n}';
    const col = apply(row, convertFormat(row, 'columnar')!);
    assert.equal(col, '{\n  "signature_name": "serving_default",\n  "inputs": {\n    "image_bytes": [{"b64": "AA=="}, {"b64": "AQ=="}],\n    "key": ["a", "b"]\n  }\n}');
    const back = apply(col, convertFormat(col, 'row')!);
    assert.equal(back, '{\n  "signature_name": "serving_default",\n  "instances": [\n    {"image_bytes": {"b64": "AA=="}, "key": "a"},\n    {"image_bytes": {"b64": "AQ=="}, "key": "b"}\n  ]\n}');
    for (const text of [row, col, back]) {
      assert.deepEqual(validateRequest(text, { fileKind: 'json', signatures: SIGS }).findings.filter((f) => f.severity !== 'info'), []);
    }
  });

  it('bare values convert to a bare tensor and back; b64 objects stay values', () => {
    const row = '{"instances": [{"b64": "AA=="}, {"b64": "AQ=="}]}';
    const col = apply(row, convertFormat(row, 'columnar')!);
    assert.equal(col, '{"inputs": [{"b64": "AA=="}, {"b64": "AQ=="}]}');
    assert.equal(apply(col, convertFormat(col, 'row')!), row);
  });

  it('refuses what cannot be converted faithfully', () => {
    assert.equal(convertFormat('{"instances": [{"a": 1}, {"b": 2}]}', 'columnar'), undefined, 'different keys');
    assert.equal(convertFormat('{"instances": [{"a": 1}, 2]}', 'columnar'), undefined, 'mixed');
    assert.equal(convertFormat('{"inputs": {"a": [1, 2], "b": [1]}}', 'row'), undefined, 'different batch sizes');
    assert.equal(convertFormat('{"inputs": 3}', 'row'), undefined, 'a scalar');
    assert.equal(convertFormat('{"instances": [1], "inputs": [1]}', 'columnar'), undefined, 'both present');
    assert.equal(convertFormat('{"instances": [1,', 'columnar'), undefined, 'syntax error');
    assert.equal(convertFormat('{"instances": []}', 'columnar'), undefined, 'empty');
  });
});

describe('signatureNameOf', () => {
  it('reads the top-level "signature_name" wherever it is written, and only that one', () => {
    assert.equal(signatureNameOf('{"signature_name": "regress_x_to_y", "instances": [1.0]}'), 'regress_x_to_y');
    assert.equal(signatureNameOf('{"instances": [{"x": 1.0}], "signature_name": "a\\"b"}'), 'a"b');
    assert.equal(signatureNameOf('{"instances": [{"signature_name": "inside"}]}'), undefined);
    assert.equal(signatureNameOf('{"instances": ["\\"signature_name\\": \\"in a string\\""]}'), undefined);
    assert.equal(signatureNameOf('{"instances": [1.0,, ], "signature_name": "kept"'), 'kept', 'a body with errors is read tolerantly');
    assert.equal(signatureNameOf('{"instances": [1.0]}'), undefined);
  });
});
