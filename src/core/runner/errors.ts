/**
 * Typed errors of the local runner. Every refusal says what, where (model, signature, node) and
 * what to do next, and carries a `reason` so callers branch without reading message text.
 * These cross the worker boundary as plain objects (see toRunnerErrorData / fromRunnerErrorData).
 */
import { ServeLensError } from '../errors';

export type RunnerReason =
  | 'unsupported-op' // the graph needs an op the TensorFlow.js engine cannot run
  | 'unsupported-model' // a model format or feature the runner does not handle
  | 'invalid-request' // the request does not fit the signature (validator findings, values)
  | 'too-large' // the input or the model exceeds the runner's memory bounds
  | 'cancelled' // the caller aborted the run
  | 'engine' // TensorFlow.js failed while running
  | 'model' // the model could not be found or read (the message is the model core's)
  | 'not-available'; // a method (e.g. integrated gradients) does not apply to this model

export class RunnerError extends ServeLensError {
  readonly kind = 'runner' as const;
  readonly reason: RunnerReason;
  /** For unsupported-op: the op and the node that uses it. */
  readonly op?: string;
  readonly node?: string;
  readonly signature?: string;
  /** HTTP status a local server answers with. */
  readonly status: number;

  constructor(
    reason: RunnerReason,
    message: string,
    hint?: string,
    extra: { op?: string; node?: string; signature?: string } = {},
  ) {
    super(message, hint);
    this.reason = reason;
    this.op = extra.op;
    this.node = extra.node;
    this.signature = extra.signature;
    this.status = reason === 'invalid-request' || reason === 'too-large' ? 400 : reason === 'cancelled' ? 499 : 500;
  }
}

/** Ops that have a common replacement the engine does run. */
const ALTERNATIVES: Record<string, string> = {
  ParseSingleExample: 'export the signature with tf.io.parse_example (ParseExampleV2) on a batch of serialized examples',
  DecodeJpeg: 'decode the image before the request and send the pixels as a float/int tensor',
  DecodePng: 'decode the image before the request and send the pixels as a float/int tensor',
  DecodeImage: 'decode the image before the request and send the pixels as a float/int tensor',
  DecodeBmp: 'decode the image before the request and send the pixels as a float/int tensor',
  LookupTableFindV2: 'map the vocabulary outside the model and send ids, or convert the lookup into a Gather over a constant',
  HashTableV2: 'map the vocabulary outside the model and send ids',
  StringToHashBucketFast: 'hash the strings outside the model and send int ids',
  SentencepieceOp: 'tokenize outside the model and send token ids',
  RegexReplace: 'normalise the text before the request',
  StringSplit: 'tokenize outside the model and send token ids',
  BatchMatMulV3: 'BatchMatMulV2 (re-export with TensorFlow 2.9 or older, or call tf.linalg.matmul on float inputs)',
};

export function unsupportedOp(op: string, node: string, signature: string, why?: string): RunnerError {
  const alt = ALTERNATIVES[op];
  return new RunnerError(
    'unsupported-op',
    `The local runner cannot run op ${op} (node "${node}", needed by signature "${signature}")${why ? `: ${why}` : ''}.`,
    alt
      ? `A common alternative: ${alt}. Or run this request against TF Serving or Vertex AI.`
      : 'TensorFlow.js has no kernel for it. Run this request against TF Serving or Vertex AI, or re-export the model without it.',
    { op, node, signature },
  );
}

export function invalidRequest(message: string, hint?: string): RunnerError {
  return new RunnerError('invalid-request', message, hint);
}

export function cancelled(): RunnerError {
  return new RunnerError('cancelled', 'The local run was cancelled.');
}

export interface RunnerErrorData {
  name: 'RunnerError';
  reason: RunnerReason;
  message: string;
  hint?: string;
  op?: string;
  node?: string;
  signature?: string;
}

/** A structured-clone-safe form of any error, for the worker protocol. */
export function toRunnerErrorData(err: unknown): RunnerErrorData {
  if (err instanceof RunnerError)
    return { name: 'RunnerError', reason: err.reason, message: err.message, hint: err.hint, op: err.op, node: err.node, signature: err.signature };
  if (err instanceof ServeLensError)
    return { name: 'RunnerError', reason: err.kind === 'usage' ? 'invalid-request' : 'model', message: err.message, hint: err.hint };
  const message = err instanceof Error ? err.message : String(err);
  return { name: 'RunnerError', reason: 'engine', message: `TensorFlow.js failed: ${message}` };
}

export function fromRunnerErrorData(d: RunnerErrorData): RunnerError {
  return new RunnerError(d.reason, d.message, d.hint, { op: d.op, node: d.node, signature: d.signature });
}
