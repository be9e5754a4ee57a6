/**
 * Requests in, response bodies out, in the services' shapes:
 *  - Vertex AI / AI Platform and TF Serving row format: {"instances": [...]} → {"predictions": [...]},
 *    one entry per instance (an object keyed by output alias when the signature has several);
 *  - TF Serving columnar format: {"inputs": ...} → {"outputs": ...};
 *  - TF Serving :classify → {"results": [[[label, score], ...], ...]} and :regress → {"results": [...]},
 *    from JSON "examples" (+ "context") turned into tf.Example protos.
 * The body is checked with the request validator first; an error finding stops the run.
 */
import type { Signature, TensorSpec } from '../model/types';
import { validateRequest } from '../request/validate';
import { cancelled, invalidRequest, RunnerError } from './errors';
import type { Engine } from './engine';
import { examplesFromJson } from './example';
import type { HostTensor } from './tensors';
import { float32Json, numbers, rowToJson, stackFromJson, tensorFromJson, tensorToJson } from './values';

export type ResponseFormat = 'vertex' | 'tfserving';
export type Method = 'predict' | 'classify' | 'regress';

export interface PredictOptions {
  /** The signature when the body names none (default serving_default). */
  signature?: string;
  /** 'vertex' refuses what Vertex AI refuses (columnar, examples); default 'tfserving'. */
  format?: ResponseFormat;
  /** TF Serving's verb (:predict, :classify, :regress); default from the body. */
  method?: Method;
  signal?: AbortSignal;
  /** Skip the validator (the caller validated this very body already). */
  validated?: boolean;
}

export interface PredictResult {
  /** The response body the service would return. */
  body: Record<string, unknown>;
  signature: string;
  backend: string;
  /** Inference time (ms), without validation and request decoding. */
  ms: number;
}

type Body = Record<string, unknown>;

function isB64(v: unknown): boolean {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && typeof (v as { b64?: unknown }).b64 === 'string';
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !isB64(v);
}

export function parseBody(body: string | object): { body: Body; text: string } {
  if (typeof body !== 'string') return { body: (Array.isArray(body) ? { instances: body } : body) as Body, text: JSON.stringify(body) };
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (err) {
    throw invalidRequest(`The request body is not JSON: ${(err as Error).message}.`);
  }
  if (Array.isArray(parsed)) return { body: { instances: parsed }, text: body };
  if (!isPlainObject(parsed)) throw invalidRequest('The request body must be a JSON object with "instances", "inputs" or "examples".');
  return { body: parsed, text: body };
}

/** Runs the validator; the first error stops the run with its message. */
export function validateOrThrow(text: string, engine: Engine, signature: string | undefined, format: ResponseFormat): void {
  const res = validateRequest(text, { fileKind: 'json', signatures: engine.signatures, ...(signature !== undefined ? { signatureName: signature } : {}), target: format === 'vertex' ? 'vertex' : 'local' });
  const errors = res.findings.filter((f) => f.severity === 'error');
  if (errors.length) {
    const first = errors[0]!;
    throw invalidRequest(
      `The request is invalid at line ${first.line}, column ${first.column}: ${first.message}${errors.length > 1 ? ` (and ${errors.length - 1} more error(s))` : ''}`,
      `Run 'servelens validate <request> --model <model>' to see every finding.`,
    );
  }
}

function checkAbort(signal?: AbortSignal): void {
  if (signal?.aborted) throw cancelled();
}

/** The outputs worth fetching (not the init op's NoOp). */
export function servingOutputs(sig: Signature): TensorSpec[] {
  return sig.outputs.filter((o) => !(o.tensor === 'NoOp' || o.tensor === 'NoOp:0'));
}

/** Row-format feeds: one value per instance per alias, stacked. */
export function rowFeeds(engine: Engine, sig: Signature, instances: unknown[]): Record<string, HostTensor> {
  const feeds: Record<string, HostTensor> = {};
  if (sig.inputs.length === 1) {
    const spec = sig.inputs[0]!;
    const vals = instances.map((inst) => (isPlainObject(inst) && spec.alias in inst && Object.keys(inst).length === 1 ? inst[spec.alias] : inst));
    feeds[spec.alias] = stackFromJson(vals, engine.inputDtype(spec), `"${spec.alias}"`);
    return feeds;
  }
  for (const spec of sig.inputs) {
    const vals = instances.map((inst, i) => {
      if (!isPlainObject(inst)) throw invalidRequest(`Instance ${i} must be an object of input alias → value: signature "${sig.name}" has inputs ${sig.inputs.map((x) => x.alias).join(', ')}.`);
      if (!(spec.alias in inst)) throw invalidRequest(`Instance ${i} has no "${spec.alias}" (signature "${sig.name}" needs ${sig.inputs.map((x) => x.alias).join(', ')}).`);
      return inst[spec.alias];
    });
    feeds[spec.alias] = stackFromJson(vals, engine.inputDtype(spec), `"${spec.alias}"`);
  }
  return feeds;
}

function columnarFeeds(engine: Engine, sig: Signature, inputs: unknown): Record<string, HostTensor> {
  const feeds: Record<string, HostTensor> = {};
  if (sig.inputs.length === 1 && !(isPlainObject(inputs) && sig.inputs[0]!.alias in inputs)) {
    const spec = sig.inputs[0]!;
    feeds[spec.alias] = tensorFromJson(inputs, engine.inputDtype(spec), '"inputs"');
    return feeds;
  }
  if (!isPlainObject(inputs)) throw invalidRequest(`"inputs" must be an object of input alias → value: signature "${sig.name}" has inputs ${sig.inputs.map((x) => x.alias).join(', ')}.`);
  for (const spec of sig.inputs) {
    if (!(spec.alias in inputs)) throw invalidRequest(`"inputs" has no "${spec.alias}" (signature "${sig.name}" needs ${sig.inputs.map((x) => x.alias).join(', ')}).`);
    feeds[spec.alias] = tensorFromJson(inputs[spec.alias], engine.inputDtype(spec), `"inputs"."${spec.alias}"`);
  }
  return feeds;
}

const isBytesAlias = (alias: string) => /_bytes$/.test(alias);

/** Row-format predictions from outputs with `n` rows. */
export function rowPredictions(sig: Signature, outputs: Record<string, HostTensor>, n: number): unknown[] {
  const outs = servingOutputs(sig);
  for (const o of outs) {
    const t = outputs[o.alias]!;
    if (t.shape.length === 0 || t.shape[0] !== n)
      throw new RunnerError('engine', `Output "${o.alias}" has shape [${t.shape.join(',')}], whose first dimension is not the ${n} instance(s) of the request, so it cannot be split into predictions.`, 'Send the request in the columnar format ({"inputs": ...}), which returns whole tensors.');
  }
  const preds: unknown[] = [];
  for (let i = 0; i < n; i++) {
    if (outs.length === 1) preds.push(rowToJson(outputs[outs[0]!.alias]!, i, { b64: isBytesAlias(outs[0]!.alias) }));
    else {
      const o: Record<string, unknown> = {};
      for (const s of outs) o[s.alias] = rowToJson(outputs[s.alias]!, i, { b64: isBytesAlias(s.alias) });
      preds.push(o);
    }
  }
  return preds;
}

function stringInput(sig: Signature, verb: string): TensorSpec {
  const inputs = sig.inputs;
  if (inputs.length !== 1 || (inputs[0]!.dtype !== 'DT_STRING' && !(inputs[0]!.dtype === 'DT_FLOAT' && inputs[0]!.shape === null && inputs[0]!.alias === 'inputs')))
    throw invalidRequest(
      `Signature "${sig.name}" cannot take tf.Examples for ${verb}: it needs ${inputs.map((i) => `${i.alias} (${i.dtype})`).join(', ') || 'no inputs'}, not one serialized-example string input.`,
      'Use :predict with "instances" for this signature.',
    );
  return { ...inputs[0]!, dtype: 'DT_STRING' };
}

/** Runs one request body on an engine. */
export async function predictWithEngine(engine: Engine, request: string | object, opts: PredictOptions = {}): Promise<PredictResult> {
  const format = opts.format ?? 'tfserving';
  const { body, text } = parseBody(request);
  checkAbort(opts.signal);
  const sigName = typeof body.signature_name === 'string' ? body.signature_name : opts.signature;
  const hasInstances = 'instances' in body;
  const hasInputs = 'inputs' in body;
  const hasExamples = 'examples' in body;
  if (format === 'vertex' && !hasInstances) throw invalidRequest('Vertex AI takes {"instances": [...]} (optionally "parameters"); "inputs" and "examples" are TF Serving formats.', 'Send the instances in the row format, or use --format tfserving.');
  const method: Method = opts.method ?? 'predict';
  if (method !== 'predict' && !hasExamples) throw invalidRequest(`:${method} takes {"examples": [...]} (and optionally "context"), as TF Serving does.`);
  if (method === 'predict' && hasExamples && opts.method === 'predict') throw invalidRequest(':predict takes "instances" or "inputs"; send "examples" to :classify or :regress.');
  if (!opts.validated && (hasInstances || hasInputs)) validateOrThrow(text, engine, opts.signature, format);
  const sig = engine.signature(sigName);
  checkAbort(opts.signal);

  const t0 = performance.now();
  if (hasExamples) {
    const examples = body.examples;
    if (!Array.isArray(examples) || examples.length === 0) throw invalidRequest('"examples" must be a non-empty list of objects (feature name → value).');
    const context = isPlainObject(body.context) ? body.context : undefined;
    const spec = stringInput(sig, method === 'predict' ? 'classify' : method);
    const serialized = examplesFromJson(examples, context);
    const res = await engine.run(sig, { [spec.alias]: { dtype: 'string', shape: [serialized.length], values: serialized } }, { inputSpecs: [spec], outputs: servingOutputs(sig) });
    checkAbort(opts.signal);
    const ms = performance.now() - t0;
    const effective = method === 'predict' ? examplesMethod(sig) : method;
    return { body: { results: effective === 'classify' ? classifyResults(sig, res.outputs, serialized.length) : regressResults(sig, res.outputs, serialized.length) }, signature: sig.name, backend: res.backend, ms };
  }
  if (hasInstances) {
    const instances = body.instances;
    if (!Array.isArray(instances)) throw invalidRequest('"instances" must be a list.');
    const feeds = rowFeeds(engine, sig, instances);
    const res = await engine.run(sig, feeds, { outputs: servingOutputs(sig) });
    checkAbort(opts.signal);
    return { body: { predictions: rowPredictions(sig, res.outputs, instances.length) }, signature: sig.name, backend: res.backend, ms: performance.now() - t0 };
  }
  if (hasInputs) {
    const feeds = columnarFeeds(engine, sig, body.inputs);
    const res = await engine.run(sig, feeds, { outputs: servingOutputs(sig) });
    checkAbort(opts.signal);
    const outs = servingOutputs(sig);
    const outputs = outs.length === 1
      ? tensorToJson(res.outputs[outs[0]!.alias]!, { b64: isBytesAlias(outs[0]!.alias) })
      : Object.fromEntries(outs.map((o) => [o.alias, tensorToJson(res.outputs[o.alias]!, { b64: isBytesAlias(o.alias) })]));
    return { body: { outputs }, signature: sig.name, backend: res.backend, ms: performance.now() - t0 };
  }
  throw invalidRequest('The request body has none of "instances", "inputs" or "examples".');
}

/** What "examples" sent without a verb (CLI predict) mean for a signature: its method, else its outputs. */
function examplesMethod(sig: Signature): 'classify' | 'regress' {
  if (sig.method.endsWith('/classify')) return 'classify';
  if (sig.method.endsWith('/regress')) return 'regress';
  return sig.outputs.some((o) => o.alias === 'scores' || o.alias === 'classes') ? 'classify' : 'regress';
}

function perExample(t: HostTensor, n: number, alias: string): number {
  if (t.shape.length === 0 || t.shape[0] !== n) throw new RunnerError('engine', `Output "${alias}" has shape [${t.shape.join(',')}]; TF Serving expects [${n}, ...] for ${n} example(s).`);
  return t.shape.slice(1).reduce((a, b) => a * b, 1);
}

/** TF Serving's classification result: per example, [label, score] per class. */
function classifyResults(sig: Signature, outputs: Record<string, HostTensor>, n: number): unknown[] {
  const scores = outputs.scores;
  const classes = outputs.classes;
  if (!scores && !classes) throw invalidRequest(`Signature "${sig.name}" has neither a "classes" nor a "scores" output, so it cannot classify.`);
  const k = scores ? perExample(scores, n, 'scores') : perExample(classes!, n, 'classes');
  const s = scores ? numbers(scores) : undefined;
  const labels = classes ? (rowsOf(classes) as string[]) : undefined;
  const out: unknown[] = [];
  for (let i = 0; i < n; i++) {
    const row: unknown[] = [];
    for (let j = 0; j < k; j++) row.push([labels ? labels[i * k + j] : '', s ? float32Json(s[i * k + j]!) : 0]);
    out.push(row);
  }
  return out;
}

function rowsOf(t: HostTensor): unknown[] {
  return (tensorToJson({ ...t, shape: [t.shape.reduce((a, b) => a * b, 1)] }) as unknown[]);
}

function regressResults(sig: Signature, outputs: Record<string, HostTensor>, n: number): unknown[] {
  const t = outputs.outputs ?? (servingOutputs(sig).length === 1 ? outputs[servingOutputs(sig)[0]!.alias] : undefined);
  if (!t) throw invalidRequest(`Signature "${sig.name}" has no "outputs" output, so it cannot regress.`);
  const k = perExample(t, n, 'outputs');
  if (k !== 1) throw new RunnerError('engine', `Output "outputs" has ${k} values per example; a regression answers one.`);
  return rowsOf(t);
}
