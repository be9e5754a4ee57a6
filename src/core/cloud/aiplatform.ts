/**
 * AI Platform (legacy, `ml.googleapis.com`) v1 REST: models and their versions.
 *
 * Host: the global `https://ml.googleapis.com`, or `https://{region}-ml.googleapis.com` for models
 * created on a regional endpoint (they are only visible there), or the API endpoint override.
 */
import type { AiPlatformModel, AiPlatformVersion, ListOptions, Page } from './contract';
import type { CallOptions, HttpClient } from './http';
import { pageFrom } from './paging';
import { checkProject, checkSegment, parseResourceName } from './names';
import { bodyObject, errorInBody, jsonCall, postPrediction, type PredictBody, type PredictCall } from './predict';
import { aiPlatformHost } from './regions';

export interface AiPlatformPredictOptions extends CallOptions {
  /** Sent as `signature_name` (unless the body already names one). */
  signatureName?: string;
}

export interface AiPlatformClientOptions {
  http: HttpClient;
  /** "global" (default) or a region such as "us-central1" for the regional endpoint. */
  region?: string;
  /** An override base URL (endpoint.ts). */
  apiEndpoint?: string;
}

export class AiPlatformClient {
  readonly #http: HttpClient;
  readonly baseUrl: string;
  readonly region: string;

  constructor(opts: AiPlatformClientOptions) {
    this.#http = opts.http;
    this.region = opts.region ?? 'global';
    this.baseUrl = opts.apiEndpoint ? opts.apiEndpoint.replace(/\/+$/, '') : aiPlatformHost(this.region);
  }

  async #list<T>(key: string, path: string, opts: ListOptions & { call?: Omit<CallOptions, 'signal'> } = {}): Promise<Page<T>> {
    const body = await this.#http.json<Record<string, unknown>>({
      method: 'GET',
      url: `${this.baseUrl}/v1/${path}`,
      service: 'aiplatform',
      query: { pageSize: opts.pageSize, pageToken: opts.pageToken, filter: opts.filter },
      ...opts.call,
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    return pageFrom<T>(body, key, 'AI Platform');
  }

  /** Models of a project (with their default version). */
  listModels(project: string, opts?: ListOptions): Promise<Page<AiPlatformModel>> {
    return this.#list('models', `projects/${checkProject(project)}/models`, opts);
  }

  /** `name`: projects/P/models/M. */
  getModel(name: string, opts: CallOptions = {}): Promise<AiPlatformModel> {
    parseResourceName(name, 'project', ['models'], 'AI Platform model');
    return this.#http.json({ method: 'GET', url: `${this.baseUrl}/v1/${name}`, service: 'aiplatform', ...opts });
  }

  /** Versions of a model. `model`: projects/P/models/M, or give `project` and the model id. */
  listVersions(model: string, opts?: ListOptions & { project?: string }): Promise<Page<AiPlatformVersion>> {
    const name = opts?.project ? `projects/${checkProject(opts.project)}/models/${checkSegment(model, 'model name')}` : model;
    parseResourceName(name, 'project', ['models'], 'AI Platform model');
    return this.#list('versions', `${name}/versions`, opts);
  }

  async #prediction(name: string, verb: 'predict' | 'explain', body: PredictBody, opts: AiPlatformPredictOptions): Promise<PredictCall> {
    const parts = name.split('/');
    if (parts.length === 4) parseResourceName(name, 'project', ['models'], 'AI Platform model or version');
    else parseResourceName(name, 'project', ['models', 'versions'], 'AI Platform model or version');
    const { signatureName, ...call } = opts;
    let text = typeof body === 'string' ? body : JSON.stringify(body);
    if (signatureName !== undefined) {
      const obj = bodyObject(body, `AI Platform ${verb}`);
      if (obj.signature_name === undefined) text = JSON.stringify({ ...obj, signature_name: signatureName });
    }
    const a = await postPrediction(this.#http, { url: `${this.baseUrl}/v1/${name}:${verb}`, service: 'aiplatform', body: text, contentType: 'application/json; charset=utf-8' }, call);
    const out = jsonCall(a, 'aiplatform');
    const failed = errorInBody(out, 'aiplatform');
    if (failed) throw failed;
    return out;
  }

  /**
   * `POST projects/P/models/M[/versions/V]:predict` with `{instances, signature_name?}` (the model's
   * default version without /versions/V). AI Platform reports a failed prediction as
   * `{"error": "..."}`, sometimes with HTTP 200: both are a CloudApiError 'invalid-argument'.
   */
  predict(name: string, body: PredictBody, opts: AiPlatformPredictOptions = {}): Promise<PredictCall> {
    return this.#prediction(name, 'predict', body, opts);
  }

  /** `POST ...:explain` (AI Explanations on AI Platform): `{explanations}`. */
  explain(name: string, body: PredictBody, opts: AiPlatformPredictOptions = {}): Promise<PredictCall> {
    return this.#prediction(name, 'explain', body, opts);
  }

  /** `name`: projects/P/models/M/versions/V. */
  getVersion(name: string, opts: CallOptions = {}): Promise<AiPlatformVersion> {
    parseResourceName(name, 'project', ['models', 'versions'], 'AI Platform version');
    return this.#http.json({ method: 'GET', url: `${this.baseUrl}/v1/${name}`, service: 'aiplatform', ...opts });
  }
}
