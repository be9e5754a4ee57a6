/**
 * `servelens predict | explain | batch | serve` on the local runner (src/core/runner).
 * predict/explain take a target flag; today that is --model (local, offline). The cloud targets
 * (--endpoint, --version, --tf-serving) plug in beside it: LOCAL_TARGET_FLAGS / TARGET_FLAGS.
 */
import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { IoError, UsageError } from '../core/errors';
import { engineFor, runBatch, startLocalServer, type ExplainMethod, type ResponseFormat } from '../core/runner/index';
import { explainWithEngine } from '../core/runner/explain';
import { predictWithEngine } from '../core/runner/predict';
import type { CliValues } from './commands';
import { ExitCode, toJson, type CliIo } from './io';

/** Every flag that names where a request goes; the cloud ones are handled elsewhere when present. */
export const TARGET_FLAGS = ['--model', '--endpoint', '--version', '--tf-serving'] as const;

const MAX_REQUEST_BYTES = 256 * 1024 * 1024;

function str(v: string | boolean | undefined): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function intFlag(values: CliValues, name: string, min: number, max: number): number | undefined {
  const v = str(values[name]);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${name} must be an integer from ${min} to ${max} (got "${v}")`);
  return n;
}

function modelOf(values: CliValues, command: string): string {
  const model = str(values.model);
  if (model === undefined)
    throw new UsageError(`${command} needs a target: --model <model> runs it locally (the other target flags, ${TARGET_FLAGS.slice(1).join(', ')}, send it to the cloud)`);
  return model;
}

async function readRequest(positionals: string[]): Promise<{ file: string; text: string }> {
  if (positionals.length !== 1) throw new UsageError(`expected one request file, got ${positionals.length}`);
  const file = resolve(positionals[0]!);
  try {
    const st = await stat(file);
    if (!st.isFile()) throw new UsageError(`${positionals[0]} is not a file`);
    if (st.size > MAX_REQUEST_BYTES) throw new UsageError(`${positionals[0]} is ${st.size} bytes; the local runner takes request bodies up to ${MAX_REQUEST_BYTES} bytes (use batch for JSON Lines)`);
    return { file, text: await readFile(file, 'utf8') };
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new IoError(file, err);
  }
}

export const PREDICT_OPTIONS = {
  model: { type: 'string' },
  signature: { type: 'string' },
  format: { type: 'string' },
  'model-version': { type: 'string' },
} as const;

export const PREDICT_HELP = [
  'Runs a prediction request and prints the response body the service would return.',
  'Locally (offline, TensorFlow.js, no Python): --model. The request is validated first; an error stops it.',
  '',
  '  --model M           SavedModel dir, TF Serving base dir (highest version), saved_model.pb(txt), tfjs model.json',
  '  --model-version N   a version folder of a TF Serving base directory',
  '  --signature S       the signature when the body names none (default serving_default)',
  '  --format F          tfserving (default: row, columnar and examples bodies) | vertex (instances only)',
  '  --json              the response body only, as JSON (default adds the signature and backend on stderr)',
  '',
  'Bodies: {"instances": [...]} → {"predictions": [...]}; {"inputs": ...} → {"outputs": ...};',
  '{"examples": [...], "signature_name": "classify_x_to_y"} → {"results": [[[label, score]]]} (classify, or',
  'regress for a regress signature). Exit 0 ok, 1 when the request or the model has errors, 2 usage.',
].join('\n');

export async function runPredict(values: CliValues, positionals: string[], io: CliIo): Promise<number> {
  const model = modelOf(values, 'predict');
  const fmt = str(values.format) ?? 'tfserving';
  if (fmt !== 'tfserving' && fmt !== 'vertex') throw new UsageError(`--format must be tfserving or vertex (got "${fmt}")`);
  const { text } = await readRequest(positionals);
  const version = str(values['model-version']);
  const engine = await engineFor(model, version !== undefined ? { version } : {});
  const signature = str(values.signature);
  const r = await predictWithEngine(engine, text, { format: fmt as ResponseFormat, ...(signature !== undefined ? { signature } : {}) });
  io.out(toJson(r.body));
  if (!values.json) io.err(`signature ${r.signature}, backend ${r.backend}, ${r.ms.toFixed(1)} ms`);
  return ExitCode.ok;
}

export const EXPLAIN_OPTIONS = {
  model: { type: 'string' },
  signature: { type: 'string' },
  method: { type: 'string' },
  'path-count': { type: 'string' },
  'step-count': { type: 'string' },
  output: { type: 'string' },
  'model-version': { type: 'string' },
} as const;

export const EXPLAIN_HELP = [
  'Feature attributions for each instance of a {"instances": [...]} body, computed locally, in Vertex AI\'s',
  'ExplainResponse shape: {"explanations":[{"attributions":[{"baselineOutputValue","instanceOutputValue",',
  '"featureAttributions","outputIndex","outputName","approximationError"}]}],"predictions":[...]}.',
  'The baseline is all zeros; attributions sum to instanceOutputValue - baselineOutputValue.',
  '',
  '  --model M                 the model (as for predict)',
  '  --method M                sampled-shapley (default; any model) | integrated-gradients (float inputs,',
  '                            differentiable graphs)',
  '  --path-count N            sampled Shapley permutations, 1-50 (default 10)',
  '  --step-count N            integrated gradients steps, 1-100 (default 50)',
  '  --output ALIAS            the output explained (default the first)',
  '  --signature S             the signature when the body names none',
].join('\n');

export async function runExplain(values: CliValues, positionals: string[], io: CliIo): Promise<number> {
  const model = modelOf(values, 'explain');
  const method = str(values.method) ?? 'sampled-shapley';
  if (method !== 'sampled-shapley' && method !== 'integrated-gradients') throw new UsageError(`--method must be sampled-shapley or integrated-gradients (got "${method}")`);
  const pathCount = intFlag(values, 'path-count', 1, 50);
  const stepCount = intFlag(values, 'step-count', 1, 100);
  const { text } = await readRequest(positionals);
  const version = str(values['model-version']);
  const engine = await engineFor(model, version !== undefined ? { version } : {});
  const signature = str(values.signature);
  const output = str(values.output);
  const r = await explainWithEngine(engine, text, {
    method: method as ExplainMethod,
    ...(pathCount !== undefined ? { pathCount } : {}),
    ...(stepCount !== undefined ? { stepCount } : {}),
    ...(signature !== undefined ? { signature } : {}),
    ...(output !== undefined ? { output } : {}),
  });
  io.out(toJson(r.body));
  if (!values.json) io.err(`${r.method}, signature ${r.signature}, backend ${r.backend}, ${r.ms.toFixed(1)} ms`);
  return ExitCode.ok;
}

export const BATCH_OPTIONS = {
  model: { type: 'string' },
  out: { type: 'string' },
  signature: { type: 'string' },
  workers: { type: 'string' },
  'key-field': { type: 'string' },
  'model-version': { type: 'string' },
} as const;

export const BATCH_HELP = [
  'Runs every instance of a JSON Lines file (one instance per line) through the model and writes one line',
  'per instance, in order, as Vertex AI batch prediction does: {"instance": ..., "prediction": ...}',
  '(with "key" first when the instance has a key field). A line that fails is written as',
  '{"instance": ..., "error": {"message": ...}} and the exit code is 1. Streamed with bounded memory.',
  '',
  '  --model M         the model (as for predict)',
  '  --out FILE        the predictions file to write (JSON Lines)',
  '  --workers N       1 or 2 engine workers (default 2)',
  '  --key-field F     the instance key field (default "key")',
  '  --signature S     the signature (default serving_default)',
  '  --json            a summary {"instances","errors","workers","ms"} on stdout',
].join('\n');

export async function runBatchCommand(values: CliValues, positionals: string[], io: CliIo): Promise<number> {
  const model = modelOf(values, 'batch');
  if (positionals.length !== 1) throw new UsageError(`expected one instances file (.jsonl), got ${positionals.length}`);
  const out = str(values.out);
  if (!out) throw new UsageError('--out <predictions.jsonl> is required');
  const workers = intFlag(values, 'workers', 1, 2);
  const input = resolve(positionals[0]!);
  try {
    if (!(await stat(input)).isFile()) throw new UsageError(`${positionals[0]} is not a file`);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new IoError(input, err);
  }
  const tty = Boolean(process.stderr.isTTY) && !values.json;
  const version = str(values['model-version']);
  const signature = str(values.signature);
  const keyField = str(values['key-field']);
  const r = await runBatch({
    model,
    input,
    output: resolve(out),
    ...(version !== undefined ? { version } : {}),
    ...(signature !== undefined ? { signature } : {}),
    ...(keyField !== undefined ? { keyField } : {}),
    ...(workers !== undefined ? { workers } : {}),
    ...(tty ? { onProgress: (p) => process.stderr.write(`\rservelens batch: ${p.instances} instances, ${p.errors} errors`) } : {}),
  });
  if (tty) process.stderr.write('\n');
  if (values.json) io.out(toJson({ instances: r.instances, errors: r.errors, workers: r.workers, ms: Math.round(r.ms) }));
  else io.out(`${r.instances} instance(s), ${r.errors} error(s), ${r.workers} worker(s), ${(r.ms / 1000).toFixed(2)} s → ${out}`);
  return r.errors ? ExitCode.inputErrors : ExitCode.ok;
}

export const SERVE_OPTIONS = {
  model: { type: 'string' },
  name: { type: 'string' },
  port: { type: 'string' },
} as const;

export const SERVE_HELP = [
  'Serves the model on 127.0.0.1 (only) until Ctrl-C, with TF Serving\'s REST API and Vertex-style routes:',
  '  GET  /v1/models/NAME[/versions/V]              status',
  '  GET  /v1/models/NAME[/versions/V]/metadata     signatures, in TF Serving\'s shape',
  '  POST /v1/models/NAME[/versions/V]:predict | :classify | :regress',
  '  POST /v1/projects/P/locations/L/endpoints/E:predict | :explain   (any P, L, E)',
  'Errors are {"error": "..."} as TF Serving answers. Prints the URL on stdout first.',
  '',
  '  --model M     the model: a TF Serving base directory serves all its versions',
  '  --name NAME   the model name in URLs (default: the model folder name, the base folder for a base dir)',
  '  --port N      the port (default: a free one)',
].join('\n');

export async function runServe(values: CliValues, positionals: string[], io: CliIo, signal?: AbortSignal): Promise<number> {
  if (positionals.length) throw new UsageError(`serve takes no positional arguments (got ${positionals.join(' ')}); use --model`);
  const model = str(values.model);
  if (!model) throw new UsageError('serve needs --model <model>');
  const port = intFlag(values, 'port', 0, 65535);
  const name = str(values.name);
  const ac = new AbortController();
  const stop = () => ac.abort();
  signal?.addEventListener('abort', stop, { once: true });
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const server = await startLocalServer({ model, ...(name !== undefined ? { name } : {}), ...(port !== undefined ? { port } : {}), signal: ac.signal });
    if (values.json) io.out(JSON.stringify({ url: server.url, name: server.name, versions: server.versions }));
    else {
      io.out(server.url);
      io.err(`servelens serve: ${server.name} (versions ${server.versions.join(', ')}) at ${server.url}/v1/models/${server.name} — Ctrl-C stops it`);
    }
    if (!ac.signal.aborted) await new Promise<void>((r) => ac.signal.addEventListener('abort', () => r(), { once: true }));
    await server.close();
    return ExitCode.ok;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    signal?.removeEventListener('abort', stop);
  }
}
