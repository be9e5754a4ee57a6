/**
 * Vertex AI v1 REST: endpoints (deployed models come inside each endpoint), Model Registry models
 * and their versions, batch prediction jobs, long-running operations.
 *
 * Host: `https://{region}-aiplatform.googleapis.com`, or the API endpoint override (endpoint.ts)
 * for every region. Lists answer one page (`Page<T>`); pass them to `listAll` / `PagedList`
 * (paging.ts) for more. Every method takes an AbortSignal and throws CloudApiError / CloudAuthError.
 */
import type {
  ListOptions,
  LongRunningOperation,
  Page,
  VertexBatchPredictionJob,
  VertexDeployedModel,
  VertexEndpoint,
  VertexModel,
} from './contract';
import { CloudError, errorFromStatus } from './errors';
import { defaultSleep, type CallOptions, type HttpClient, type RequestSpec } from './http';
import { pageFrom } from './paging';
import {
  bodyObject, bodyText, jsonCall, postPrediction,
  type PredictBody, type RawPredictCall, type VertexPredictCall, type VertexServedBy,
} from './predict';
import { checkProject, parseResourceName } from './names';
import { vertexHost, isRegionName } from './regions';
import { UsageError } from '../errors';

export interface VertexListOptions extends ListOptions {
  /** e.g. "create_time desc" (where the API supports it). */
  orderBy?: string;
  /** Per-attempt time-out and retry policy for this call. */
  call?: Omit<CallOptions, 'signal'>;
}

export interface VertexClientOptions {
  http: HttpClient;
  /** An override base URL used for every region (endpoint.ts). */
  apiEndpoint?: string;
}

export interface WaitOptions extends CallOptions {
  /** Give up after this long (default 10 minutes): CloudApiError 'timeout'. */
  waitTimeoutMs?: number;
  /** First pause between polls (default 1 s, growing ×1.5 to 10 s). */
  pollMs?: number;
}

/** A deployed model with the share of the endpoint's traffic it receives (0 when not in the split). */
export interface DeployedModelWithTraffic extends VertexDeployedModel {
  trafficPercent: number;
}

/** The endpoint's deployed models with their traffic split, highest share first. */
export function deployedModelsOf(endpoint: VertexEndpoint): DeployedModelWithTraffic[] {
  const split = endpoint.trafficSplit ?? {};
  return (endpoint.deployedModels ?? [])
    .map((dm) => ({ ...dm, trafficPercent: split[dm.id] ?? 0 }))
    .sort((a, b) => b.trafficPercent - a.trafficPercent);
}

/** The deployed model fields of a predict / explain answer. */
export function servedBy(json: Record<string, unknown>): VertexServedBy {
  const out: VertexServedBy = {};
  for (const k of ['deployedModelId', 'model', 'modelVersionId', 'modelDisplayName'] as const) {
    const v = json[k];
    if (typeof v === 'string' && v) out[k] = v;
  }
  return out;
}

export class VertexClient {
  readonly #http: HttpClient;
  readonly #override?: string;

  constructor(opts: VertexClientOptions) {
    this.#http = opts.http;
    if (opts.apiEndpoint) this.#override = opts.apiEndpoint.replace(/\/+$/, '');
  }

  /** The base URL used for a region. */
  baseUrl(region: string): string {
    if (!isRegionName(region)) throw new UsageError(`'${region}' is not a region name.`);
    return this.#override ?? vertexHost(region);
  }

  #spec(method: RequestSpec['method'], region: string, path: string, extra: Partial<RequestSpec> = {}): RequestSpec {
    return { method, url: `${this.baseUrl(region)}/v1/${path}`, service: 'vertex', ...extra };
  }

  async #list<T>(
    key: string,
    region: string,
    path: string,
    opts: VertexListOptions = {},
  ): Promise<Page<T>> {
    const query: Record<string, string | number | undefined> = {
      pageSize: opts.pageSize,
      pageToken: opts.pageToken,
      filter: opts.filter,
      orderBy: opts.orderBy,
    };
    const body = await this.#http.json<Record<string, unknown>>(this.#spec('GET', region, path, { query, ...opts.call, ...(opts.signal ? { signal: opts.signal } : {}) }));
    return pageFrom<T>(body, key, 'Vertex AI');
  }

  #parent(project: string, region: string): string {
    checkProject(project);
    if (!isRegionName(region)) throw new UsageError(`'${region}' is not a region name.`);
    return `projects/${project}/locations/${region}`;
  }

  // --- Endpoints -----------------------------------------------------------------------------

  listEndpoints(project: string, region: string, opts?: VertexListOptions): Promise<Page<VertexEndpoint>> {
    return this.#list('endpoints', region, `${this.#parent(project, region)}/endpoints`, opts);
  }

  /** `name`: projects/P/locations/L/endpoints/E. */
  getEndpoint(name: string, opts: CallOptions = {}): Promise<VertexEndpoint> {
    const { location } = parseResourceName(name, 'location', ['endpoints'], 'Vertex AI endpoint');
    return this.#http.json(this.#spec('GET', location!, name, opts));
  }

  // --- Models --------------------------------------------------------------------------------

  /** Models of the registry (each listed at its default version). */
  listModels(project: string, region: string, opts?: VertexListOptions): Promise<Page<VertexModel>> {
    return this.#list('models', region, `${this.#parent(project, region)}/models`, opts);
  }

  /** `name`: projects/P/locations/L/models/M, or M@VERSION / M@ALIAS for one version. */
  getModel(name: string, opts: CallOptions = {}): Promise<VertexModel> {
    const { location } = parseResourceName(name, 'location', ['models'], 'Vertex AI model');
    return this.#http.json(this.#spec('GET', location!, name, opts));
  }

  /** Every version of a model (`{model}:listVersions`), each a Model with versionId and versionAliases. */
  listVersions(modelName: string, opts?: VertexListOptions): Promise<Page<VertexModel>> {
    const { location, ids } = parseResourceName(modelName, 'location', ['models'], 'Vertex AI model');
    if (ids[0]!.includes('@')) throw new UsageError(`List the versions of the model itself, not of ${ids[0]}.`);
    return this.#list('models', location!, `${modelName}:listVersions`, opts);
  }

  // --- Batch prediction jobs -----------------------------------------------------------------

  listBatchPredictionJobs(project: string, region: string, opts?: VertexListOptions): Promise<Page<VertexBatchPredictionJob>> {
    return this.#list('batchPredictionJobs', region, `${this.#parent(project, region)}/batchPredictionJobs`, opts);
  }

  getBatchPredictionJob(name: string, opts: CallOptions = {}): Promise<VertexBatchPredictionJob> {
    const { location } = parseResourceName(name, 'location', ['batchPredictionJobs'], 'batch prediction job');
    return this.#http.json(this.#spec('GET', location!, name, opts));
  }

  /**
   * Creates a batch prediction job (returns it in state QUEUED/PENDING). Not retried: a second
   * POST would create a second job.
   */
  createBatchPredictionJob(
    project: string,
    region: string,
    job: Omit<VertexBatchPredictionJob, 'name' | 'state'> & Partial<Pick<VertexBatchPredictionJob, 'state'>>,
    opts: CallOptions = {},
  ): Promise<VertexBatchPredictionJob> {
    return this.#http.json(this.#spec('POST', region, `${this.#parent(project, region)}/batchPredictionJobs`, { ...opts, json: job, idempotent: false }));
  }

  /** Asks the service to cancel a job (state becomes CANCELLING, then CANCELLED). Repeating it is harmless. */
  async cancelBatchPredictionJob(name: string, opts: CallOptions = {}): Promise<void> {
    const { location } = parseResourceName(name, 'location', ['batchPredictionJobs'], 'batch prediction job');
    await this.#http.json(this.#spec('POST', location!, `${name}:cancel`, { ...opts, json: {}, idempotent: true }));
  }

  /** Deletes a finished job; answers a long-running operation (see waitOperation). Not retried. */
  deleteBatchPredictionJob(name: string, opts: CallOptions = {}): Promise<LongRunningOperation> {
    const { location } = parseResourceName(name, 'location', ['batchPredictionJobs'], 'batch prediction job');
    return this.#http.json(this.#spec('DELETE', location!, name, { ...opts, idempotent: false }));
  }

  // --- Predictions -------------------------------------------------------------------------

  #predictUrl(endpoint: string, verb: 'predict' | 'explain' | 'rawPredict'): string {
    const { location } = parseResourceName(endpoint, 'location', ['endpoints'], 'Vertex AI endpoint');
    return `${this.baseUrl(location!)}/v1/${endpoint}:${verb}`;
  }

  async #jsonPrediction(endpoint: string, verb: 'predict' | 'explain', body: string, opts: CallOptions): Promise<VertexPredictCall> {
    const a = await postPrediction(this.#http, { url: this.#predictUrl(endpoint, verb), service: 'vertex', body, contentType: 'application/json; charset=utf-8' }, opts);
    const call = jsonCall(a, 'vertex');
    return { ...call, ...servedBy(call.json) };
  }

  /**
   * `POST {endpoint}:predict` with `{instances, parameters?}`. Resolves with the exact answer text,
   * the parsed `{predictions, deployedModelId, model, modelVersionId, modelDisplayName}`, latency
   * and sizes. Only 429 and 503 are retried.
   */
  predict(endpoint: string, body: PredictBody, opts: CallOptions = {}): Promise<VertexPredictCall> {
    return this.#jsonPrediction(endpoint, 'predict', bodyText(body), opts);
  }

  /**
   * `POST {endpoint}:explain` with `{instances, parameters?, deployedModelId?}`: `deployedModelId`
   * (the argument wins over the body's) picks the deployed model, else the traffic split does.
   */
  explain(endpoint: string, body: PredictBody, deployedModelId?: string, opts: CallOptions = {}): Promise<VertexPredictCall> {
    let text = bodyText(body);
    if (deployedModelId !== undefined) text = JSON.stringify({ ...bodyObject(body, 'Vertex AI explain'), deployedModelId });
    return this.#jsonPrediction(endpoint, 'explain', text, opts);
  }

  /**
   * `POST {endpoint}:rawPredict`: any body and content type, handed to the model server as is; the
   * answer as bytes with its content type. The deployed model comes from the
   * `X-Vertex-AI-Deployed-Model-Id` header.
   */
  async rawPredict(endpoint: string, bytes: string | Uint8Array, contentType: string, opts: CallOptions = {}): Promise<RawPredictCall> {
    const a = await postPrediction(this.#http, { url: this.#predictUrl(endpoint, 'rawPredict'), service: 'vertex', body: bytes, contentType }, opts);
    const out: RawPredictCall = {
      bytes: a.bytes,
      contentType: a.headers.get('content-type') ?? 'application/octet-stream',
      latencyMs: a.latencyMs,
      requestBytes: a.requestBytes,
      responseBytes: a.bytes.length,
      status: a.status,
      attempts: a.attempts,
      url: a.url,
    };
    const id = a.headers.get('x-vertex-ai-deployed-model-id');
    if (id) out.deployedModelId = id;
    return out;
  }

  // --- Operations ----------------------------------------------------------------------------

  /** `name`: the operation's full name (projects/P/locations/L/.../operations/ID). */
  getOperation(name: string, opts: CallOptions = {}): Promise<LongRunningOperation> {
    const m = /^projects\/[^/]+\/locations\/([a-z][a-z0-9-]{1,62})\/(?:[A-Za-z0-9_.@~-]+\/)*operations\/[A-Za-z0-9_.~-]+$/.exec(name);
    if (!m || name.split('/').some((s) => s === '..' || s === '.')) throw new UsageError(`'${name}' is not an operation name.`);
    return this.#http.json(this.#spec('GET', m[1]!, name, opts));
  }

  /**
   * Polls an operation until it is done. Resolves with the finished operation; a failed one throws
   * its error as a CloudApiError; running past `waitTimeoutMs` throws reason 'timeout'.
   */
  async waitOperation(name: string, opts: WaitOptions = {}): Promise<LongRunningOperation> {
    const deadline = Date.now() + (opts.waitTimeoutMs ?? 10 * 60_000);
    let pause = opts.pollMs ?? 1000;
    const call: CallOptions = {};
    if (opts.signal) call.signal = opts.signal;
    if (opts.timeoutMs !== undefined) call.timeoutMs = opts.timeoutMs;
    if (opts.retry) call.retry = opts.retry;
    for (;;) {
      const op = await this.getOperation(name, call);
      if (op.done) {
        if (op.error) {
          const location = /\/locations\/([^/]+)/.exec(name)?.[1];
          throw errorFromStatus(op.error, { service: 'vertex', method: 'operation', url: `${this.baseUrl(location!)}/v1/${name}` });
        }
        return op;
      }
      if (Date.now() + pause > deadline)
        throw new CloudError('timeout', `Vertex AI: the operation ${name} was still running after ${Math.round((opts.waitTimeoutMs ?? 600_000) / 1000)} s.`, 'It goes on in the cloud; check it again later.');
      await defaultSleep(pause, opts.signal).catch(() => {
        throw new CloudError('cancelled', `Waiting for the operation ${name} was cancelled.`);
      });
      pause = Math.min(10_000, Math.round(pause * 1.5));
    }
  }
}
