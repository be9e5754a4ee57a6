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
import { aiPlatformHost } from './regions';

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

  /** `name`: projects/P/models/M/versions/V. */
  getVersion(name: string, opts: CallOptions = {}): Promise<AiPlatformVersion> {
    parseResourceName(name, 'project', ['models', 'versions'], 'AI Platform version');
    return this.#http.json({ method: 'GET', url: `${this.baseUrl}/v1/${name}`, service: 'aiplatform', ...opts });
  }
}
