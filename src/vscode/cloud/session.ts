/**
 * The editor's connection to Google Cloud and TF Serving: one HttpClient with one credential
 * source, the Vertex AI / AI Platform / Cloud Storage clients over it, and a TF Serving client per
 * configured server — rebuilt when a setting that shapes them changes.
 *
 * Security: where calls (and so tokens) go is read from MACHINE-scoped settings only
 * (`servelens.cloud.apiEndpoint`, `servelens.cloud.keyFile`, `servelens.tfServing.servers`, declared
 * `"scope": "machine"` in package.json so no workspace can set them) or from the environment the
 * editor was started with (`SERVELENS_API_ENDPOINT`, `SERVELENS_TF_SERVING_SERVERS`: the emulator
 * demo and the tests). Tokens are never sent to a TF Serving server.
 */
import * as vscode from 'vscode';
import { AiPlatformClient } from '../../core/cloud/aiplatform';
import type { CredentialInfo, CredentialSource } from '../../core/cloud/auth';
import { defaultCredentialSource } from '../../core/cloud/auth';
import { resolveApiEndpoint, type ApiEndpoint } from '../../core/cloud/endpoint';
import { HttpClient } from '../../core/cloud/http';
import { checkProject } from '../../core/cloud/names';
import { parseRegions } from '../../core/cloud/regions';
import { ArtifactSignatureReader, StorageClient } from '../../core/cloud/storage';
import { TfServingClient } from '../../core/cloud/tfserving';
import { VertexClient } from '../../core/cloud/vertex';
import { UsageError, describeError } from '../../core/errors';
import { Disposable } from '../lifecycle';
import type { Logger } from '../log';

/** The settings a session is built from (section `servelens`). */
export const CloudSettings = {
  apiEndpoint: 'cloud.apiEndpoint',
  keyFile: 'cloud.keyFile',
  projects: 'cloud.projects',
  regions: 'cloud.regions',
  timeoutSeconds: 'cloud.timeoutSeconds',
  tfServingServers: 'tfServing.servers',
} as const;

/** TF Serving servers for the demo and tests when the setting is empty: JSON like the setting. */
export const TF_SERVING_ENV = 'SERVELENS_TF_SERVING_SERVERS';

export interface TfServingServer {
  /** What the tree shows (default: the URL's host). */
  name: string;
  /** Base URL, e.g. http://localhost:8501 (credentials in it are never shown). */
  url: string;
  /** Model names to show: TF Serving's REST API cannot list the models it serves. */
  models: string[];
}

export interface TfServingEntry {
  server: TfServingServer;
  /** The client, or why the entry cannot be used. */
  client?: TfServingClient;
  problem?: string;
}

/** Reads `servelens.tfServing.servers` (or the env fallback) into checked entries; never throws. */
export function parseTfServingServers(value: unknown): { servers: TfServingServer[]; problems: string[] } {
  const servers: TfServingServer[] = [];
  const problems: string[] = [];
  if (!Array.isArray(value)) return { servers, problems: value === undefined ? [] : ['servelens.tfServing.servers is not a list.'] };
  value.forEach((raw, i) => {
    const entry = typeof raw === 'string' ? { url: raw } : raw;
    if (typeof entry !== 'object' || entry === null || typeof (entry as { url?: unknown }).url !== 'string') {
      problems.push(`servelens.tfServing.servers[${i}] has no "url".`);
      return;
    }
    const e = entry as { url: string; name?: unknown; models?: unknown };
    let host: string;
    try {
      host = new URL(e.url).host;
    } catch {
      problems.push(`servelens.tfServing.servers[${i}].url is not a URL: ${e.url}.`);
      return;
    }
    const models = Array.isArray(e.models) ? e.models.filter((m): m is string => typeof m === 'string' && m.length > 0) : [];
    servers.push({ name: typeof e.name === 'string' && e.name ? e.name : host, url: e.url, models });
  });
  return { servers, problems };
}

/** Regions from the setting: names, or "all" for every Vertex AI region. Bad names are reported. */
export function regionsFrom(value: unknown): { regions: string[]; problem?: string } {
  const list = Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
  if (!list.length) return { regions: ['us-central1'] };
  try {
    return { regions: parseRegions(list.join(',')) };
  } catch (err) {
    return { regions: ['us-central1'], problem: describeError(err) };
  }
}

/** The machine-scoped value of a setting: a workspace value is ignored (and never takes effect). */
export function machineValue<T>(config: vscode.WorkspaceConfiguration, key: string): T | undefined {
  const inspected = config.inspect<T>(key);
  return inspected?.globalValue ?? inspected?.defaultValue;
}

export class CloudSession extends Disposable {
  readonly http: HttpClient;
  readonly credentials: CredentialSource;
  readonly vertex: VertexClient;
  readonly aiPlatform: AiPlatformClient;
  readonly storage: StorageClient;
  readonly artifacts: ArtifactSignatureReader;
  readonly apiEndpoint: ApiEndpoint | undefined;
  readonly regions: string[];
  readonly tfServing: TfServingEntry[];
  /** Problems with the settings, shown once in the log and as nodes. */
  readonly problems: string[] = [];
  readonly #configuredProjects: string[];
  #identity?: Promise<CredentialInfo>;

  constructor(
    private readonly logger: Logger,
    opts: { cacheDir?: string; credentials?: CredentialSource } = {},
  ) {
    super();
    const config = vscode.workspace.getConfiguration('servelens');
    let apiEndpoint: ApiEndpoint | undefined;
    try {
      apiEndpoint = resolveApiEndpoint({ setting: machineValue<string>(config, CloudSettings.apiEndpoint), env: process.env });
    } catch (err) {
      this.problems.push(describeError(err));
    }
    this.apiEndpoint = apiEndpoint;
    const keyFile = machineValue<string>(config, CloudSettings.keyFile)?.trim() || undefined;
    this.credentials = opts.credentials ?? defaultCredentialSource(keyFile ? { keyFile } : {});
    const timeout = Number(config.get<number>(CloudSettings.timeoutSeconds) ?? 30);
    this.http = new HttpClient({
      credentials: this.credentials,
      timeoutMs: Number.isFinite(timeout) && timeout > 0 ? timeout * 1000 : 30_000,
      log: (line) => logger.trace('cloud', line),
    });
    const override = apiEndpoint?.url;
    this.vertex = new VertexClient({ http: this.http, ...(override ? { apiEndpoint: override } : {}) });
    this.aiPlatform = new AiPlatformClient({ http: this.http, ...(override ? { apiEndpoint: override } : {}) });
    this.storage = new StorageClient({ http: this.http, ...(override ? { apiEndpoint: override } : {}) });
    this.artifacts = new ArtifactSignatureReader({ storage: this.storage, ...(opts.cacheDir ? { cacheDir: opts.cacheDir } : {}) });

    const regions = regionsFrom(config.get(CloudSettings.regions));
    this.regions = regions.regions;
    if (regions.problem) this.problems.push(`servelens.cloud.regions: ${regions.problem}`);

    this.#configuredProjects = [];
    for (const p of config.get<unknown[]>(CloudSettings.projects) ?? []) {
      if (typeof p !== 'string' || !p.trim()) continue;
      try {
        this.#configuredProjects.push(checkProject(p.trim()));
      } catch (err) {
        this.problems.push(`servelens.cloud.projects: ${describeError(err)}`);
      }
    }

    let tfValue = machineValue<unknown>(config, CloudSettings.tfServingServers);
    if ((!Array.isArray(tfValue) || tfValue.length === 0) && process.env[TF_SERVING_ENV]) {
      try {
        tfValue = JSON.parse(process.env[TF_SERVING_ENV] ?? '[]');
      } catch {
        this.problems.push(`${TF_SERVING_ENV} is not JSON.`);
      }
    }
    const tf = parseTfServingServers(tfValue);
    this.problems.push(...tf.problems);
    this.tfServing = tf.servers.map((server) => {
      try {
        return { server, client: new TfServingClient({ http: this.http, baseUrl: server.url }) };
      } catch (err) {
        return { server, problem: describeError(err) };
      }
    });
    for (const p of this.problems) logger.warn('cloud', p);
    logger.info(
      'cloud',
      `session: ${apiEndpoint ? `API endpoint ${apiEndpoint.url} (from ${apiEndpoint.source})` : 'Google API hosts'}, ` +
        `regions ${this.regions.length > 3 ? `${this.regions.length} regions` : this.regions.join(', ')}, ` +
        `${this.tfServing.length} TF Serving server(s)`,
    );
  }

  /** Who is signed in (asks the credential source once per session; errors are CloudAuthError). */
  identity(): Promise<CredentialInfo> {
    this.#identity ??= (async () => {
      // A token first: it proves the credentials work, and fills in what describe() knows.
      await this.credentials.getAccessToken();
      const info = this.credentials.identify ? await this.credentials.identify() : this.credentials.describe();
      return { ...this.credentials.describe(), ...info };
    })();
    this.#identity.catch(() => {
      this.#identity = undefined; // ask again next time: the user may have signed in meanwhile
    });
    return this.#identity;
  }

  /** The projects the trees list: the settings, else the credentials' own project. */
  async projects(): Promise<string[]> {
    if (this.#configuredProjects.length) return [...this.#configuredProjects];
    const info = await this.identity();
    const project = info.project ?? process.env.GOOGLE_CLOUD_PROJECT;
    if (!project) {
      throw new UsageError(
        'No Google Cloud project is configured and the credentials name none.',
        'Add a project with "ServeLens: Select Google Cloud Project" or the setting servelens.cloud.projects.',
      );
    }
    return [project];
  }

  get configuredProjects(): readonly string[] {
    return this.#configuredProjects;
  }

  /** The TF Serving client of a server URL (from the settings). */
  tfServingClient(url: string): TfServingClient | undefined {
    return this.tfServing.find((e) => e.server.url === url)?.client;
  }

  override dispose(): void {
    this.logger.trace('cloud', 'session closed');
    super.dispose();
  }
}
