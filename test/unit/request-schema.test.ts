/**
 * schemas/request.schema.json, contributed through `contributes.jsonValidation` so VS Code's JSON
 * support gives hover and completion on request files: it must accept the documented request
 * bodies and reject the structural mistakes the validator reports (checked with Ajv, draft-07,
 * the dialect VS Code's JSON language service reads).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Ajv from 'ajv';
import { validateRequest } from '../../src/core/request/validate';
import { repoRoot } from '../helpers/fixtures';

const schema = JSON.parse(readFileSync(join(repoRoot(), 'schemas', 'request.schema.json'), 'utf8')) as object;
// Strict mode (unknown keywords are errors), except "required" inside oneOf branches, which is the
// standard way to say "exactly one of". markdownDescription is VS Code's hover keyword.
const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
ajv.addKeyword('markdownDescription');
const check = ajv.compile(schema);

/** Bodies from Vertex AI's, AI Platform's and TF Serving's docs (see request-docs.test.ts for the citations). */
const VALID = [
  '{"instances": [{"values": [1, 2, 3, 4], "key": 1}, {"values": [5, 6, 7, 8], "key": 2}]}',
  '{"instances": ["1.0,true,\\"x\\"", "-2.0,false,\\"y\\""]}',
  '{"instances": [["the","quick","brown"], ["the","lazy","dog"]]}',
  '{"instances": [0.0, 1.1, 2.2]}',
  '{"instances": [[[[138, 30, 66], [130, 20, 56]], [[126, 38, 61], [122, 24, 57]]]]}',
  '{"instances": [{"b64": "X5ad6u"}, {"b64": "IA9j4nx"}]}',
  '{"instances": [{"tag": "beach", "image": {"b64": "ASa8asdf"}}, {"tag": "car", "image": {"b64": "JLK7ljk3"}}]}',
  '{"instances": [{"a": 1.0, "b": true, "c": "x"}, {"a": -2.0, "b": false, "c": "y"}]}',
  '{"instances": [[0.0, 1.1, "NaN"]]}',
  '{"instances": [ [[1, 2]], [[3, 4]] ]}',
  '{"inputs": {"tag": ["foo", "bar"], "signal": [[1, 2, 3, 4, 5], [3, 4, 1, 2, 5]], "sensor": [[[1, 2], [3, 4]], [[4, 5], [6, 8]]]}}',
  '{"inputs": [2.0, 3.0, 4.0]}',
  '{"inputs": 2.0}',
  '{"signature_name": "classify_objects", "examples": [{"image": {"b64": "aW1hZ2UgYnl0ZXM="}, "caption": "seaside"}]}',
  '{"signature_name": "tensorflow/serving/regress", "examples": [{"x": 1.0}, {"x": 2.0}]}',
  '{"signature_name": "c", "context": {"age": 3}, "examples": [{"x": [1.0, 2.0]}]}',
  '{"instances": [[1.0]], "parameters": {"confidenceThreshold": 0.5}}',
];

const INVALID: [string, string][] = [
  ['[[1.0]]', 'top-level-not-object'],
  ['{"signature_name": "serving_default"}', 'missing-instances'],
  ['{"instances": [1.0], "inputs": [1.0]}', 'conflicting-formats'],
  ['{"instances": {"x": 1.0}}', 'instances-not-list'],
  ['{"instances": []}', 'empty-instances'],
  ['{"instances": [{"x": [{"v": 1}]}]}', 'embedded-object'],
  ['{"instances": [[1, "a"]]}', 'mixed-list'],
  ['{"instances": [[null]]}', 'null-value'],
  ['{"signature_name": 3, "instances": [1.0]}', 'signature-name-not-string'],
  ['{"instances": [1.0], "parameters": [1]}', 'parameters-not-object'],
  ['{"instances": [1.0], "deployedModelId": "1"}', 'unknown-key'],
  ['{"examples": [{"x": [[1.0]]}]}', 'example-nested-list'],
  ['{"examples": [2.0]}', 'example-not-object'],
  ['{"instances": [{"b64": "a-_b"}]}', 'b64-invalid'],
];

describe('request.schema.json', () => {
  it('is a valid draft-07 schema (strict mode: no unknown keywords)', () => {
    assert.equal(typeof check, 'function');
  });

  for (const body of VALID) {
    it(`accepts ${body.length > 70 ? `${body.slice(0, 67)}...` : body}`, () => {
      const ok = check(JSON.parse(body));
      assert.ok(ok, JSON.stringify(check.errors));
    });
  }

  for (const [body, code] of INVALID) {
    it(`rejects ${body} as the validator does (${code})`, () => {
      assert.equal(check(JSON.parse(body)), false);
      const v = validateRequest(body, { fileKind: 'json' }).findings.map((f) => f.code);
      assert.ok(v.includes(code), `validator: ${JSON.stringify(v)}`);
    });
  }

  it('documents every top-level field for hover', () => {
    const props = (schema as { properties: Record<string, { description?: string }> }).properties;
    for (const k of ['instances', 'inputs', 'signature_name', 'parameters', 'examples', 'context']) assert.ok((props[k]?.description ?? '').length > 20, k);
  });
});
