/**
 * The listing commands: `servelens endpoints|models|versions|jobs list`.
 *
 * Vertex AI by default; `--legacy` switches `models list` and `versions list` to AI Platform
 * (ml.googleapis.com), so one flag means the same thing everywhere. Regions are listed together
 * (at most 12 calls in flight); `--region all` lists every Vertex AI region. `--json` prints one
 * array of the REST resources exactly as the API returned them (all regions, in the order given).
 *
 * Sign-in: SERVELENS_ACCESS_TOKEN (for CI; never printed), else `--key-file`, else Application
 * Default Credentials, else the gcloud CLI. `--api-endpoint` (or SERVELENS_API_ENDPOINT) sends every
 * call to another base URL (private endpoints, the local emulator).
 */
import { AiPlatformClient } from '../core/cloud/aiplatform';
import { defaultCredentialSource } from '../core/cloud/auth';
import type { AiPlatformModel, AiPlatformVersion, Page, VertexBatchPredictionJob, VertexEndpoint, VertexModel } from '../core/cloud/contract';
import { resolveApiEndpoint } from '../core/cloud/endpoint';
import { HttpClient } from '../core/cloud/http';
import { checkProject, idOf, parseResourceName } from '../core/cloud/names';
import { listAcrossRegions, listAll, type Pager } from '../core/cloud/paging';
import { parseRegions } from '../core/cloud/regions';
import { deployedModelsOf, VertexClient } from '../core/cloud/vertex';
import { UsageError, describeError } from '../core/errors';
import type { CliValues } from './commands';
import { ExitCode, toJson, type CliIo } from './io';

/** Calls in flight at most when listing several regions. */
export const LIST_CONCURRENCY = 12;
/** Items asked for per page. */
const PAGE_SIZE = 100;

const COMMON_OPTIONS = {
  project: { type: 'string' },
  region: { type: 'string' },
  filter: { type: 'string' },
  limit: { type: 'string' },
  'api-endpoint': { type: 'string' },
  'key-file': { type: 'string' },
} as const;

export const CLOUD_OPTIONS = {
  endpoints: COMMON_OPTIONS,
  models: { ...COMMON_OPTIONS, legacy: { type: 'boolean' } },
  versions: { ...COMMON_OPTIONS, legacy: { type: 'boolean' }, model: { type: 'string' } },
  jobs: COMMON_OPTIONS,
} as const;

const COMMON_HELP = [
  '  --project P          the Google Cloud project (default: GOOGLE_CLOUD_PROJECT)',
  '  --filter F           the API\'s list filter, e.g. labels.team=search',
  '  --limit N            at most N items per region',
  '  --json               one array of the REST resources, exactly as the API returned them',
  '  --api-endpoint URL   send every call to this base URL (or set SERVELENS_API_ENDPOINT): private',
  '                       endpoints, the local emulator; plain http only to 127.0.0.1',
  '  --key-file PATH      sign in with this service-account key file',
  '',
  'Sign-in: SERVELENS_ACCESS_TOKEN when set (CI), else --key-file, else Application Default Credentials',
  '(gcloud auth application-default login), else the gcloud CLI. Exit code 1 when a call fails.',
];

export const CLOUD_HELP = {
  endpoints: ['Vertex AI endpoints with their deployed models and traffic split.', '', '  --region R[,R2|all]  the region(s) to list; "all" for every Vertex AI region', ...COMMON_HELP].join('\n'),
  models: [
    'Vertex AI Model Registry models (each at its default version), or with --legacy AI Platform models.',
    '',
    '  --region R[,R2|all]  Vertex AI region(s); with --legacy: "global" (default) or a regional endpoint',
    '  --legacy             AI Platform (ml.googleapis.com) instead of Vertex AI',
    ...COMMON_HELP,
  ].join('\n'),
  versions: [
    'Versions of one model: Vertex AI Model Registry versions (with aliases), or with --legacy AI Platform',
    'versions (default version, state, runtime, framework, machine type, scaling).',
    '',
    '  --model M            the model id, or its full name (projects/P/locations/L/models/M, or',
    '                       projects/P/models/M with --legacy), which also gives the project and region',
    '  --region R           the model\'s Vertex AI region; with --legacy "global" (default) or a region',
    '  --legacy             AI Platform (ml.googleapis.com) instead of Vertex AI',
    ...COMMON_HELP,
  ].join('\n'),
  jobs: ['Vertex AI batch prediction jobs (state, times, error).', '', '  --region R[,R2|all]  the region(s) to list; "all" for every Vertex AI region', ...COMMON_HELP].join('\n'),
};

interface Setup {
  http: HttpClient;
  apiEndpoint?: string;
  project: string;
  limit?: number;
  filter?: string;
}

const str = (v: string | boolean | undefined): string | undefined => (typeof v === 'string' && v.trim() ? v.trim() : undefined);

function setup(values: CliValues, positionals: string[], needProject = true): Setup {
  if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  const project = str(values.project) ?? process.env.GOOGLE_CLOUD_PROJECT?.trim() ?? '';
  if (needProject && !project) throw new UsageError('--project is required (or set GOOGLE_CLOUD_PROJECT)');
  if (project) checkProject(project);
  let limit: number | undefined;
  if (values.limit !== undefined) {
    limit = Number(values.limit);
    if (!Number.isInteger(limit) || limit < 1) throw new UsageError('--limit takes a positive whole number');
  }
  const endpoint = resolveApiEndpoint({ setting: str(values['api-endpoint']), env: process.env });
  const keyFile = str(values['key-file']);
  const http = new HttpClient({ credentials: defaultCredentialSource({ env: process.env, ...(keyFile ? { keyFile } : {}) }) });
  const s: Setup = { http, project };
  if (endpoint) s.apiEndpoint = endpoint.url;
  if (limit !== undefined) s.limit = limit;
  const filter = str(values.filter);
  if (filter) s.filter = filter;
  return s;
}

function regionsOf(values: CliValues): string[] {
  const r = str(values.region);
  if (!r) throw new UsageError('--region is required (e.g. us-central1, us-central1,europe-west4, or all)');
  return parseRegions(r);
}

// ---------------------------------------------------------------------------------------------
// Output.

/** Rows as a table with aligned columns (the last column is not padded). */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

const shortTime = (t?: string) => (t ? t.replace(/\.\d+Z$/, 'Z').replace('T', ' ') : '');
const jobState = (s: string) => s.replace(/^JOB_STATE_/, '');

function endpointRows(items: { region: string; item: VertexEndpoint }[]): string {
  return table(
    ['REGION', 'ENDPOINT', 'DISPLAY NAME', 'DEPLOYED MODELS (TRAFFIC)', 'CREATED'],
    items.map(({ region, item }) => [
      region,
      idOf(item.name),
      item.displayName ?? '',
      deployedModelsOf(item)
        .map((dm) => `${dm.displayName ?? dm.id} ${dm.id}${dm.modelVersionId ? ` v${dm.modelVersionId}` : ''} (${dm.trafficPercent}%)`)
        .join(', ') || '-',
      shortTime(item.createTime),
    ]),
  );
}

function vertexModelRows(items: { region: string; item: VertexModel }[], withRegion = true): string {
  const rows = items.map(({ region, item }) => [
    ...(withRegion ? [region, idOf(item.name)] : []),
    ...(withRegion ? [item.displayName ?? ''] : []),
    item.versionId ?? '',
    (item.versionAliases ?? []).join(',') || '-',
    shortTime(withRegion ? item.updateTime : item.versionCreateTime),
    item.artifactUri ?? '-',
  ]);
  return withRegion
    ? table(['REGION', 'MODEL', 'DISPLAY NAME', 'VERSION', 'ALIASES', 'UPDATED', 'ARTIFACT URI'], rows)
    : table(['VERSION', 'ALIASES', 'CREATED', 'ARTIFACT URI'], rows);
}

function jobRows(items: { region: string; item: VertexBatchPredictionJob }[]): string {
  return table(
    ['REGION', 'JOB', 'DISPLAY NAME', 'STATE', 'CREATED', 'ENDED', 'ERROR'],
    items.map(({ region, item }) => [
      region,
      idOf(item.name),
      item.displayName ?? '',
      jobState(item.state ?? ''),
      shortTime(item.createTime),
      shortTime(item.endTime),
      item.error?.message ?? '',
    ]),
  );
}

function legacyModelRows(items: AiPlatformModel[]): string {
  return table(
    ['MODEL', 'DEFAULT VERSION', 'REGIONS', 'DESCRIPTION'],
    items.map((m) => [idOf(m.name), m.defaultVersion ? idOf(m.defaultVersion.name) : '-', (m.regions ?? []).join(','), m.description ?? '']),
  );
}

function scaling(v: AiPlatformVersion): string {
  if (v.manualScaling) return `manual ${v.manualScaling.nodes ?? 0}`;
  if (v.autoScaling) return `auto ${v.autoScaling.minNodes ?? 0}-${v.autoScaling.maxNodes ?? '∞'}`;
  return '';
}

function legacyVersionRows(items: AiPlatformVersion[]): string {
  return table(
    ['VERSION', 'DEFAULT', 'STATE', 'RUNTIME', 'FRAMEWORK', 'PYTHON', 'MACHINE TYPE', 'SCALING', 'DEPLOYMENT URI'],
    items.map((v) => [idOf(v.name), v.isDefault ? 'yes' : '', v.state ?? '', v.runtimeVersion ?? '', v.framework ?? '', v.pythonVersion ?? '', v.machineType ?? '', scaling(v), v.deploymentUri ?? '']),
  );
}

// ---------------------------------------------------------------------------------------------
// Running.

/**
 * Lists every region and prints the result. Regions that fail are reported on stderr with the
 * error's hint (once per distinct message); the others still print. Exit 1 if any failed.
 */
async function listRegions<T>(
  io: CliIo,
  values: CliValues,
  s: Setup,
  what: string,
  pager: (region: string) => Pager<T>,
  render: (items: { region: string; item: T }[]) => string,
): Promise<number> {
  const regions = regionsOf(values);
  const results = await listAcrossRegions(
    s.project,
    regions,
    (region) => listAll(pager(region), s.limit === undefined ? {} : { maxItems: s.limit }),
    { concurrency: LIST_CONCURRENCY },
  );
  const items: { region: string; item: T }[] = [];
  for (const r of results) for (const item of r.value?.items ?? []) items.push({ region: r.region, item });
  const failed = results.filter((r) => r.error !== undefined);
  if (values.json) io.out(toJson(items.map((i) => i.item)));
  else if (items.length) io.out(render(items));
  else if (failed.length < results.length) io.out(`No ${what} in ${regions.length === 1 ? regions[0] : `${regions.length} regions`} of ${s.project}.`);
  const truncated = results.filter((r) => r.value?.truncated).map((r) => r.region);
  if (truncated.length && !values.json) io.err(`(--limit ${s.limit} reached in ${truncated.join(', ')}: more ${what} exist)`);
  // The same failure in many regions (a missing permission, an API not enabled, no network) is
  // said once: messages are compared with the region name taken out.
  const byMessage = new Map<string, { text: string; regions: string[] }>();
  for (const f of failed) {
    const text = describeError(f.error);
    const key = text.split(f.region).join('\u0000');
    const entry = byMessage.get(key) ?? { text, regions: [] };
    entry.regions.push(f.region);
    byMessage.set(key, entry);
  }
  for (const { text, regions: rs } of byMessage.values()) {
    if (rs.length === 1) io.err(text);
    else if (rs.length === results.length && rs.length > 3) io.err(`${text} (the same in all ${rs.length} regions)`);
    else io.err(`${text} (the same in ${rs.length} regions: ${rs.join(', ')})`);
  }
  return failed.length ? ExitCode.inputErrors : ExitCode.ok;
}

const pageOpts = (s: Setup, pageToken: string | undefined, signal?: AbortSignal) => ({
  pageSize: PAGE_SIZE,
  ...(pageToken ? { pageToken } : {}),
  ...(s.filter ? { filter: s.filter } : {}),
  ...(signal ? { signal } : {}),
});

export async function runEndpointsList(values: CliValues, positionals: string[], io: CliIo): Promise<number> {
  const s = setup(values, positionals);
  const vertex = new VertexClient({ http: s.http, ...(s.apiEndpoint ? { apiEndpoint: s.apiEndpoint } : {}) });
  return listRegions<VertexEndpoint>(io, values, s, 'endpoints', (region) => (token, signal) => vertex.listEndpoints(s.project, region, pageOpts(s, token, signal)), endpointRows);
}

export async function runJobsList(values: CliValues, positionals: string[], io: CliIo): Promise<number> {
  const s = setup(values, positionals);
  const vertex = new VertexClient({ http: s.http, ...(s.apiEndpoint ? { apiEndpoint: s.apiEndpoint } : {}) });
  return listRegions<VertexBatchPredictionJob>(io, values, s, 'batch prediction jobs', (region) => (token, signal) => vertex.listBatchPredictionJobs(s.project, region, pageOpts(s, token, signal)), jobRows);
}

async function legacyList<T>(io: CliIo, values: CliValues, s: Setup, what: string, pager: Pager<T>, render: (items: T[]) => string): Promise<number> {
  const r = await listAll(pager, s.limit === undefined ? {} : { maxItems: s.limit });
  if (values.json) io.out(toJson(r.items));
  else io.out(r.items.length ? render(r.items) : `No ${what}.`);
  if (r.truncated && !values.json) io.err(`(--limit ${s.limit} reached: more ${what} exist)`);
  return ExitCode.ok;
}

function legacyClient(values: CliValues, s: Setup): AiPlatformClient {
  const region = str(values.region);
  if (region?.includes(',')) throw new UsageError('--legacy takes one --region ("global" or a region)');
  return new AiPlatformClient({ http: s.http, ...(region ? { region } : {}), ...(s.apiEndpoint ? { apiEndpoint: s.apiEndpoint } : {}) });
}

export async function runModelsList(values: CliValues, positionals: string[], io: CliIo): Promise<number> {
  const s = setup(values, positionals);
  if (values.legacy) {
    const ml = legacyClient(values, s);
    return legacyList<AiPlatformModel>(io, values, s, `AI Platform models in ${s.project}`, (token, signal) => ml.listModels(s.project, pageOpts(s, token, signal)), legacyModelRows);
  }
  const vertex = new VertexClient({ http: s.http, ...(s.apiEndpoint ? { apiEndpoint: s.apiEndpoint } : {}) });
  return listRegions<VertexModel>(io, values, s, 'models', (region) => (token, signal) => vertex.listModels(s.project, region, pageOpts(s, token, signal)), (items) => vertexModelRows(items));
}

export async function runVersionsList(values: CliValues, positionals: string[], io: CliIo): Promise<number> {
  const model = str(values.model);
  if (!model) throw new UsageError('--model is required');
  const full = model.startsWith('projects/');
  const s = setup(values, positionals, !full);
  if (values.legacy) {
    const ml = legacyClient(values, s);
    const name = full ? model : `projects/${s.project}/models/${model}`;
    parseResourceName(name, 'project', ['models'], 'AI Platform model');
    return legacyList<AiPlatformVersion>(io, values, s, `versions of ${name}`, (token, signal) => ml.listVersions(name, pageOpts(s, token, signal)), legacyVersionRows);
  }
  let name = model;
  if (!full) {
    const regions = regionsOf(values);
    if (regions.length !== 1) throw new UsageError('versions list takes one --region');
    name = `projects/${s.project}/locations/${regions[0]}/models/${model}`;
  }
  parseResourceName(name, 'location', ['models'], 'Vertex AI model');
  const vertex = new VertexClient({ http: s.http, ...(s.apiEndpoint ? { apiEndpoint: s.apiEndpoint } : {}) });
  const r = await listAll<VertexModel>((token, signal): Promise<Page<VertexModel>> => vertex.listVersions(name, pageOpts(s, token, signal)), s.limit === undefined ? {} : { maxItems: s.limit });
  if (values.json) io.out(toJson(r.items));
  else io.out(r.items.length ? vertexModelRows(r.items.map((item) => ({ region: '', item })), false) : `No versions of ${name}.`);
  if (r.truncated && !values.json) io.err(`(--limit ${s.limit} reached: more versions exist)`);
  return ExitCode.ok;
}
