/**
 * Every finding code the request validator and the binding-file reader produce, with its usual
 * severity and what it means. Codes are stable: the editor, the CLI's --json output and tests key
 * on them. (Some codes change severity with the bound target; the table gives the usual one.)
 */
import type { FindingSeverity } from './types';

export interface CodeInfo {
  code: string;
  severity: FindingSeverity;
  summary: string;
}

const table = [
  // -- syntax and JSON --
  ['syntax', 'error', 'The text is not JSON here; the message says what was expected.'],
  ['comment', 'error', 'A comment: not JSON, rejected by the services.'],
  ['trailing-comma', 'error', 'A comma before a closing bracket or brace.'],
  ['byte-order-mark', 'warning', 'The file starts with a UTF-8 byte order mark.'],
  ['non-finite-number', 'error', 'NaN or Infinity: TF Serving accepts them, Vertex AI does not (info for other targets).'],
  ['duplicate-key', 'error', 'The same key twice in one object.'],
  ['empty-file', 'error', 'Nothing to validate.'],
  ['more-findings', 'info', 'Findings of one code beyond the cap were not listed.'],
  // -- structure --
  ['top-level-not-object', 'error', 'The body is not a JSON object (a bare list gets a fix: wrap it in {"instances": ...}).'],
  ['missing-instances', 'error', 'None of instances, inputs or examples.'],
  ['conflicting-formats', 'error', 'More than one of instances, inputs and examples.'],
  ['instances-not-list', 'error', '"instances" (or "examples") is not a list.'],
  ['empty-instances', 'error', 'An empty instances or examples list.'],
  ['instances-mixed', 'error', 'Some instances are objects of alias → value and others bare values.'],
  ['signature-name-not-string', 'error', '"signature_name" is not a string.'],
  ['parameters-not-object', 'error', '"parameters" is not an object.'],
  ['unknown-key', 'warning', 'A top-level key the target ignores (error where the target rejects it).'],
  ['unsupported-field', 'error', 'A field the bound target rejects (Vertex AI\'s predict takes only instances and parameters).'],
  ['embedded-object', 'error', 'An object inside a value that is not {"b64": ...}.'],
  ['null-value', 'error', 'null as a tensor or feature value.'],
  ['mixed-list', 'error', 'A list mixing numbers, strings or booleans.'],
  ['ragged-list', 'error', 'Nested lists that are not rectangular.'],
  ['instance-shape-differs', 'error', 'One input has different shapes in different instances (they are batched into one tensor).'],
  ['example-not-object', 'error', 'An element of examples (or context) that is not an object of features.'],
  ['example-nested-list', 'error', 'A feature value that is a list of lists (tf.Example features are flat).'],
  ['example-mixed-feature', 'error', 'One feature mixing int64, float and bytes values.'],
  ['context-feature-repeated', 'warning', 'A feature in both context and examples.'],
  ['jsonl-body-per-line', 'error', 'A line of a JSON Lines instances file holds a whole request body.'],
  ['duplicate-instance-key', 'error', 'Two instances of a batch file with the same key field.'],
  ['instance-keys-not-checked', 'info', 'Too many instances to keep checking keys for duplicates.'],
  ['body-too-large', 'error', 'The body is over Vertex AI\'s 1.5 MB online prediction limit (warning just under it).'],
  // -- against the signature --
  ['structural-only', 'info', 'No signature is available: only the structure was checked.'],
  ['unknown-signature', 'error', '"signature_name" is not a signature of the model.'],
  ['missing-signature-name', 'error', 'The body names no signature and the model has no default one.'],
  ['signature-without-inputs', 'error', 'The named signature has no inputs.'],
  ['method-mismatch', 'warning', 'A predict body to a classify/regress signature, or examples to a predict signature (error when serving cannot run it).'],
  ['examples-on-predict-signature', 'info', 'Examples sent to a TF2 signature declared as predict that takes serialized tf.Example.'],
  ['unknown-alias', 'error', 'An input alias the signature does not have ("did you mean").'],
  ['missing-alias', 'error', 'An input of the signature that the instance does not give.'],
  ['bare-instance-multiple-inputs', 'error', 'Bare values where the signature has several inputs.'],
  ['dtype-mismatch', 'error', 'A value of the wrong type for the input\'s dtype.'],
  ['not-an-integer', 'error', 'A decimal number for an integer input.'],
  ['int-out-of-range', 'error', 'An integer outside the input dtype\'s range.'],
  ['lossy-number', 'error', 'A number TF Serving refuses because the dtype cannot hold it exactly.'],
  ['dtype-unsupported', 'warning', 'An input dtype TF Serving\'s JSON API does not convert.'],
  ['b64-invalid', 'error', 'A {"b64"} string that is not standard base64 (the URL-safe alphabet is named).'],
  ['b64-non-string', 'error', '{"b64"} given to an input that is not DT_STRING.'],
  ['b64-expected', 'warning', 'A plain string for a binary (_bytes) input.'],
  ['binary-alias-suffix', 'info', 'Binary data for an input whose alias does not end in _bytes.'],
  ['shape-mismatch', 'error', 'A known dimension larger than 1 differs from the signature.'],
  ['shape-rank', 'warning', 'A rank that differs from the signature where no known dimension contradicts it.'],
  ['shape-size-one', 'info', 'A shape that differs only in dimensions of size 1 (serving accepts it).'],
  ['shape-batched-scalar', 'info', 'Scalars batched for an input declared as a scalar (serving accepts it).'],
  ['batch-size', 'error', 'The number of instances differs from a fixed batch dimension larger than 1.'],
  ['batch-size-mismatch', 'warning', 'Columnar inputs whose batch dimensions differ.'],
  // -- binding file --
  ['binding-invalid', 'error', 'The binding file does not have the expected shape.'],
  ['binding-target-invalid', 'error', 'A binding target that is not a model path, endpoint, version or TF Serving URL.'],
] as const;

export type RequestCode = (typeof table)[number][0];

export const REQUEST_CODES: readonly CodeInfo[] = table.map(([code, severity, summary]) => ({ code, severity, summary }));
