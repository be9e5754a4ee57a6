/**
 * The pure half of the local runner in the editor (no `vscode`, unit-tested as is): the runner's
 * answers as the PredictCall that send() expects, which signatures "Run Model Locally" offers, the
 * model folder a file stands for, where a batch writes its predictions, and the Cloud Storage
 * upload and Vertex AI batch prediction job made from a JSON Lines file.
 */
import { basename, dirname, join } from 'node:path';
import type { VertexBatchPredictionJob, VertexEndpoint } from '../../core/cloud/contract';
import type { PredictBody, PredictCall } from '../../core/cloud/predict';
import { parseGsUri, type StorageClient } from '../../core/cloud/storage';
import { deployedModelsOf, type VertexClient } from '../../core/cloud/vertex';
import { UsageError, describeError } from '../../core/errors';
import type { Signature } from '../../core/model/types';

/** The runner's response body as the PredictCall a cloud client would have answered. */
export function toPredictCall(responseBody: Record<string, unknown>, request: PredictBody, latencyMs: number, modelPath: string): PredictCall {
  const text = JSON.stringify(responseBody);
  return {
    text,
    json: responseBody,
    latencyMs,
    requestBytes: Buffer.byteLength(typeof request === 'string' ? request : JSON.stringify(request)),
    responseBytes: Buffer.byteLength(text),
    status: 200,
    attempts: 1,
    url: `local:${modelPath}`,
    contentType: 'application/json',
  };
}

/** Signatures a request can be generated for: not TF-internal (`__…`), with inputs; serving_default first. */
export function runnableSignatures(sigs: readonly Signature[]): Signature[] {
  return sigs
    .filter((s) => !s.name.startsWith('__') && s.inputs.length > 0)
    .sort((a, b) => Number(b.name === 'serving_default') - Number(a.name === 'serving_default') || a.name.localeCompare(b.name));
}

/** True for the signatures "Run Model Locally" can build an example for: predict (or no method), not classify/regress. */
export function isPredictSignature(sig: Signature): boolean {
  return !sig.method || sig.method === 'tensorflow/serving/predict';
}

const SAVED_MODEL_FILE = /(^|[\\/])saved_model\.pb(txt)?$/;

/** The model path for a file the user points at: a saved_model.pb/.pbtxt stands for its folder; model.json and folders stay as they are. */
export function modelPathOf(path: string): string {
  return SAVED_MODEL_FILE.test(path) ? dirname(path) : path;
}

/**
 * Where a batch over `input` writes: beside it, `.jsonl`/`.ndjson` (and an `.instances` before it)
 * replaced by `.predictions.jsonl` — `half_plus_two.instances.jsonl` → `half_plus_two.predictions.jsonl`.
 */
export function batchOutputPath(input: string): string {
  const stem = basename(input).replace(/\.(jsonl|ndjson)$/i, '').replace(/\.instances$/i, '') || 'batch';
  return join(dirname(input), `${stem}.predictions.jsonl`);
}

/** UTC "20250301-120000", for names that must not collide between runs. */
export function timeStamp(d: Date): string {
  return d.toISOString().replace(/\.\d+Z$/, '').replace(/[-:]/g, '').replace('T', '-');
}

export interface CloudBatchPlan {
  project: string;
  region: string;
  bucket: string;
  /** The object the JSON Lines file is uploaded to. */
  object: string;
  inputUri: string;
  outputPrefix: string;
  /** The deployed model that serves most of the endpoint's traffic. */
  deployedModelId: string;
  job: Omit<VertexBatchPredictionJob, 'name' | 'state'>;
}

/**
 * The Vertex AI batch prediction job for `file` bound to `endpoint`, with `prefix` (the setting
 * servelens.batch.gcsOutputPrefix, gs://bucket/folder) holding the uploaded input
 * (`<folder>/<file stem>-<time>.jsonl`, never overwriting an earlier run's input) and the output.
 * The job runs the deployed model with the highest traffic share, at the version deployed.
 */
export function planCloudBatch(file: string, endpoint: VertexEndpoint, prefix: string, now: Date): CloudBatchPlan {
  const parts = endpoint.name.split('/');
  if (parts.length !== 6 || parts[0] !== 'projects' || parts[2] !== 'locations' || parts[4] !== 'endpoints') {
    throw new UsageError(`'${endpoint.name}' is not a Vertex AI endpoint name.`, 'Bind the file to projects/P/locations/R/endpoints/E in .servelens.json ("ServeLens: Bind Request File to Target…").');
  }
  const [served] = deployedModelsOf(endpoint);
  if (!served) {
    throw new UsageError(
      `The endpoint ${endpoint.displayName || parts[5]} has no deployed model to run a batch prediction job with.`,
      'Deploy a model to it, or bind the file to a local model to run the batch locally.',
    );
  }
  let gs: { bucket: string; path: string };
  try {
    gs = parseGsUri(prefix);
  } catch (err) {
    throw new UsageError(`servelens.batch.gcsOutputPrefix is not a Cloud Storage folder: ${describeError(err)}`, 'Set it to gs://BUCKET/FOLDER in your user settings.');
  }
  const { bucket, path } = gs;
  const stem = basename(file).replace(/\.(jsonl|ndjson)$/i, '').replace(/[^\w.-]+/g, '_') || 'batch';
  const stamp = timeStamp(now);
  const object = `${path ? `${path}/` : ''}${stem}-${stamp}.jsonl`;
  const inputUri = `gs://${bucket}/${object}`;
  const outputPrefix = `gs://${bucket}${path ? `/${path}` : ''}`;
  const model = served.modelVersionId ? `${served.model}@${served.modelVersionId}` : served.model;
  return {
    project: parts[1]!,
    region: parts[3]!,
    bucket,
    object,
    inputUri,
    outputPrefix,
    deployedModelId: served.id,
    job: {
      displayName: `servelens-${stem}-${stamp}`.slice(0, 128),
      model,
      inputConfig: { instancesFormat: 'jsonl', gcsSource: { uris: [inputUri] } },
      outputConfig: { predictionsFormat: 'jsonl', gcsDestination: { outputUriPrefix: outputPrefix } },
    },
  };
}

/**
 * Submits a Vertex AI batch prediction job for a JSON Lines file (plain Node; Run Batch Prediction
 * gives it the session's clients): reads the endpoint, plans the job (planCloudBatch), uploads the
 * file under the prefix (never over an existing object), then creates the job. `onStep` says what
 * it is doing; the signal stops it before the job is created, never after (the job is created or not).
 */
export async function submitCloudBatch(
  clients: { vertex: VertexClient; storage: StorageClient },
  file: string,
  body: Uint8Array,
  endpointName: string,
  prefix: string,
  opts: { now?: Date; signal?: AbortSignal; onStep?: (message: string) => void } = {},
): Promise<{ plan: CloudBatchPlan; job: VertexBatchPredictionJob }> {
  const signal = opts.signal ? { signal: opts.signal } : {};
  opts.onStep?.('reading the endpoint…');
  const endpoint = await clients.vertex.getEndpoint(endpointName, signal);
  const plan = planCloudBatch(file, endpoint, prefix, opts.now ?? new Date());
  opts.onStep?.(`uploading to ${plan.inputUri}…`);
  await clients.storage.uploadObject(plan.bucket, plan.object, body, 'application/jsonl', { ...signal, ifGenerationMatch: '0' });
  if (opts.signal?.aborted) throw new DOMException('The batch job was not created: cancelled after the upload.', 'AbortError');
  opts.onStep?.('creating the batch prediction job…');
  const job = await clients.vertex.createBatchPredictionJob(plan.project, plan.region, plan.job);
  return { plan, job };
}

