// Request values into tensors (src/core/runner/values.ts): one pass straight into the typed array
// for numeric inputs; the conversions and refusals TF Serving's JSON reader makes.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { RunnerError } from '../../src/core/runner/errors';
import { stackFromJson, tensorFromJson } from '../../src/core/runner/values';

const refused = (f: () => unknown, re: RegExp) => assert.throws(f, (e: unknown) => e instanceof RunnerError && e.reason === 'invalid-request' && re.test(e.message));

describe('request values as tensors', () => {
  it('stacks instances along a new first dimension, in row-major order', () => {
    const t = stackFromJson([[[1, 2], [3, 4]], [[5, 6], [7, 8]]], 'float32', '"x"');
    assert.deepEqual(t.shape, [2, 2, 2]);
    assert.ok(t.values instanceof Float32Array);
    assert.deepEqual([...(t.values as Float32Array)], [1, 2, 3, 4, 5, 6, 7, 8]);
    const s = stackFromJson([1.5, 2.5], 'float32', '"x"');
    assert.deepEqual([s.shape, [...(s.values as Float32Array)]], [[2], [1.5, 2.5]]);
  });

  it('converts as TF Serving does: "NaN"/"Infinity" strings, booleans, int32 and bool inputs', () => {
    assert.deepEqual([...(tensorFromJson(['NaN', 'Infinity', '-Infinity', 1], 'float32', 'v').values as Float32Array)], [NaN, Infinity, -Infinity, 1]);
    assert.deepEqual([...(tensorFromJson([true, false, 2], 'float32', 'v').values as Float32Array)], [1, 0, 2]);
    const i = tensorFromJson([[7, -3]], 'int32', 'v');
    assert.ok(i.values instanceof Int32Array);
    assert.deepEqual([...(i.values as Int32Array)], [7, -3]);
    assert.deepEqual([...(tensorFromJson([true, 0, 5], 'bool', 'v').values as Uint8Array)], [1, 0, 1]);
    assert.deepEqual(tensorFromJson(3, 'float32', 'v').shape, []);
  });

  it('refuses ragged lists, lists where a value belongs, and values a number input cannot take', () => {
    refused(() => stackFromJson([[1, 2], [3]], 'float32', '"x"'), /instance 1 is not rectangular: expected a list of 2/);
    refused(() => stackFromJson([[1, [2]]], 'float32', '"x"'), /not rectangular/);
    refused(() => stackFromJson([[1, 'a']], 'float32', '"x"'), /holds "a"; a float32 input takes numbers/);
    refused(() => tensorFromJson([null], 'int32', 'v'), /holds null/);
    refused(() => stackFromJson([], 'float32', '"x"'), /no instances/);
  });

  it('keeps strings and {"b64"} as bytes for string inputs', () => {
    const t = stackFromJson(['ab', { b64: 'AAE=' }], 'string', '"s"');
    assert.deepEqual(t.shape, [2]);
    assert.deepEqual((t.values as Uint8Array[]).map((b) => [...b]), [[97, 98], [0, 1]]);
  });
});
