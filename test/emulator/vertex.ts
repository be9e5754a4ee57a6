/**
 * Vertex AI v1 REST on `/v1/projects/{p}/locations/{l}/...` (and long-running operations also under
 * `/ui/`, where the official Node client polls them). Shapes as the REST reference gives them:
 * camelCase, int64 as strings, empty lists omitted (`{}`), resource names with the project NUMBER,
 * enums as names — or as numbers when the client asks `$alt=json;enum-encoding=int`, as the
 * official client always does in REST mode.
 */
import type { JobState, VertexBatchPredictionJob, VertexEndpoint, VertexModel } from '../../src/core/cloud/contract';
import type { EmuContext, OperationRecord } from './context';
import { compileFilter } from './filter';
import {
  badRequest, decodeSegment, jsonResponse, paginate, pageSizeOf, rpcError, rpcFail, timestamp,
  type EmuRequest, type EmuResponse,
} from './http';
import { isJsonObject, isRefusal, noPredictor, pickByTraffic, runModel, type Json as PredictJson } from './predict';
import { gcsFolder } from './storage';
import type { BatchJobSeed, DeployedModelSeed, EndpointSeed, LocationState, ModelSeed, ModelVersionSeed, ProjectState } from './types';

const SERVICE = 'aiplatform.googleapis.com' as const;
const TYPE = 'type.googleapis.com/google.cloud.aiplatform.v1.';

/** Vertex AI regions the emulator accepts even when the state has nothing there. */
export const VERTEX_REGIONS = [
  'us-central1', 'us-east1', 'us-east4', 'us-east5', 'us-south1', 'us-west1', 'us-west2', 'us-west3', 'us-west4',
  'northamerica-northeast1', 'northamerica-northeast2', 'southamerica-east1', 'southamerica-west1',
  'europe-central2', 'europe-north1', 'europe-southwest1', 'europe-west1', 'europe-west2', 'europe-west3',
  'europe-west4', 'europe-west6', 'europe-west8', 'europe-west9', 'europe-west12',
  'me-central1', 'me-central2', 'me-west1', 'africa-south1',
  'asia-east1', 'asia-east2', 'asia-northeast1', 'asia-northeast2', 'asia-northeast3', 'asia-south1',
  'asia-southeast1', 'asia-southeast2', 'australia-southeast1', 'australia-southeast2',
];

export const JOB_STATE_NUMBERS: Record<JobState, number> = {
  JOB_STATE_UNSPECIFIED: 0, JOB_STATE_QUEUED: 1, JOB_STATE_PENDING: 2, JOB_STATE_RUNNING: 3,
  JOB_STATE_SUCCEEDED: 4, JOB_STATE_FAILED: 5, JOB_STATE_CANCELLING: 6, JOB_STATE_CANCELLED: 7,
  JOB_STATE_PAUSED: 8, JOB_STATE_EXPIRED: 9, JOB_STATE_UPDATING: 10, JOB_STATE_PARTIALLY_SUCCEEDED: 11,
};

const ACCELERATOR_NUMBERS: Record<string, number> = {
  ACCELERATOR_TYPE_UNSPECIFIED: 0, NVIDIA_TESLA_K80: 1, NVIDIA_TESLA_P100: 2, NVIDIA_TESLA_V100: 3,
  NVIDIA_TESLA_P4: 4, NVIDIA_TESLA_T4: 5, TPU_V2: 6, TPU_V3: 7, NVIDIA_TESLA_A100: 8, NVIDIA_A100_80GB: 9,
  TPU_V4_POD: 10, NVIDIA_L4: 11, TPU_V5_LITEPOD: 12, NVIDIA_H100_80GB: 13, NVIDIA_H100_MEGA_80GB: 14,
  NVIDIA_H200_141GB: 15, NVIDIA_B200: 16, NVIDIA_GB200: 17, NVIDIA_RTX_PRO_6000: 18,
};

const DEPLOYMENT_RESOURCES_NUMBERS: Record<string, number> = {
  DEPLOYMENT_RESOURCES_TYPE_UNSPECIFIED: 0, DEDICATED_RESOURCES: 1, AUTOMATIC_RESOURCES: 2, SHARED_RESOURCES: 3,
};

const TERMINAL: ReadonlySet<JobState> = new Set<JobState>([
  'JOB_STATE_SUCCEEDED', 'JOB_STATE_FAILED', 'JOB_STATE_CANCELLED', 'JOB_STATE_EXPIRED', 'JOB_STATE_PARTIALLY_SUCCEEDED',
]);

type Json = Record<string, unknown>;

function invalid(message: string): never {
  rpcFail('INVALID_ARGUMENT', message);
}

/** `List of found errors:` — how Vertex AI reports missing or bad fields of a request body. */
function fieldErrors(violations: { field: string; description: string }[]): never {
  const list = violations.map((v, i) => `${i + 1}.Field: ${v.field}; Message: ${v.description}\t`).join('');
  rpcFail('INVALID_ARGUMENT', `List of found errors:\t${list}`, [badRequest(violations)]);
}

// ---------------------------------------------------------------------------------------------
// JSON builders

interface Where {
  parent: string; // projects/{number}/locations/{l}
  loc: LocationState;
  numeric: boolean;
}

function defaultVersion(m: ModelSeed): ModelVersionSeed {
  return m.versions.find((v) => v.aliases?.includes('default')) ?? m.versions[0]!;
}

function modelName(w: Where, id: string): string {
  return `${w.parent}/models/${id}`;
}

function withNumericAccelerator(spec: { machineSpec?: { acceleratorType?: unknown } } | undefined): void {
  const t = spec?.machineSpec?.acceleratorType;
  if (typeof t === 'string' && t in ACCELERATOR_NUMBERS) spec!.machineSpec!.acceleratorType = ACCELERATOR_NUMBERS[t];
}

function clone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

function nonEmpty<T extends Json>(o: T): T {
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined || (Array.isArray(v) && v.length === 0)) delete o[k];
    else if ((k === 'labels' || k === 'trafficSplit') && v && typeof v === 'object' && Object.keys(v).length === 0) delete o[k];
  }
  return o;
}

export function endpointJson(w: Where, e: EndpointSeed): VertexEndpoint {
  const { id, deployedModels, displayName, description, ...rest } = clone(e);
  const models = (deployedModels ?? []).map((dm) => {
    const model = w.loc.models!.find((m) => m.id === dm.model);
    const out: Json = {
      ...dm,
      model: modelName(w, dm.model),
      modelVersionId: dm.modelVersionId ?? (model ? defaultVersion(model).versionId : undefined),
    };
    if (w.numeric) withNumericAccelerator(out.dedicatedResources as never);
    return nonEmpty(out);
  });
  return nonEmpty({ name: `${w.parent}/endpoints/${id}`, displayName, description, deployedModels: models, ...rest }) as unknown as VertexEndpoint;
}

export function modelJson(w: Where, m: ModelSeed, v: ModelVersionSeed): VertexModel {
  const { id, versions: _versions, ...rest } = clone(m);
  const refs: { endpoint: string; deployedModelId: string }[] = [];
  for (const e of w.loc.endpoints!) {
    for (const dm of e.deployedModels ?? []) {
      if (dm.model === id && (dm.modelVersionId ?? defaultVersion(m).versionId) === v.versionId) {
        refs.push({ endpoint: `${w.parent}/endpoints/${e.id}`, deployedModelId: dm.id });
      }
    }
  }
  const out: Json = {
    name: modelName(w, id),
    versionId: v.versionId,
    versionAliases: v.aliases ?? [],
    versionCreateTime: v.versionCreateTime ?? m.createTime,
    versionUpdateTime: v.versionUpdateTime ?? m.updateTime,
    ...rest,
    versionDescription: v.versionDescription,
    containerSpec: v.containerSpec ?? rest.containerSpec,
    artifactUri: v.artifactUri,
    deployedModels: refs,
    labels: v.labels ?? rest.labels,
  };
  if (!out.supportedDeploymentResourcesTypes && (out.containerSpec || out.artifactUri)) out.supportedDeploymentResourcesTypes = ['DEDICATED_RESOURCES'];
  if (w.numeric && Array.isArray(out.supportedDeploymentResourcesTypes)) {
    out.supportedDeploymentResourcesTypes = (out.supportedDeploymentResourcesTypes as unknown[]).map((t) =>
      typeof t === 'string' && t in DEPLOYMENT_RESOURCES_NUMBERS ? DEPLOYMENT_RESOURCES_NUMBERS[t] : t,
    );
  }
  return nonEmpty(out) as unknown as VertexModel;
}

export function jobJson(w: Where, j: BatchJobSeed): VertexBatchPredictionJob {
  const { id, lastStepAt: _last, model, ...rest } = clone(j);
  const [modelId] = model.split('@');
  const out: Json = { name: `${w.parent}/batchPredictionJobs/${id}`, ...rest, model: modelName(w, modelId!) };
  // Keep the REST reference's field order for the leading fields.
  const ordered: Json = { name: out.name, displayName: out.displayName, model: out.model, modelVersionId: out.modelVersionId };
  const merged = nonEmpty({ ...ordered, ...out });
  if (w.numeric) {
    merged.state = JOB_STATE_NUMBERS[j.state];
    withNumericAccelerator(merged.dedicatedResources as never);
  }
  return merged as unknown as VertexBatchPredictionJob;
}

function operationJson(op: OperationRecord): Json {
  const out: Json = { name: op.name, metadata: op.metadata() };
  if (op.done) {
    out.done = true;
    if (op.error) out.error = op.error;
    else if (op.response) out.response = op.response;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Batch prediction job lifecycle

function outcome(j: BatchJobSeed): JobState {
  const o = j.labels?.['emulator-outcome'];
  return o === 'failed' ? 'JOB_STATE_FAILED' : o === 'partially-succeeded' ? 'JOB_STATE_PARTIALLY_SUCCEEDED' : 'JOB_STATE_SUCCEEDED';
}

/** 2024_03_19T01_00_00_000Z: how Vertex AI names a batch job's output folder. */
function folderTime(iso: string): string {
  return iso.replace(/\.(\d{3})\d*Z$/, '.$1Z').replace(/[-:.]/g, '_');
}

/** One step forward when the job has been in its state long enough. */
export function advanceJob(j: BatchJobSeed, stepMs: number, now: number, modelDisplayName = j.displayName): void {
  if (TERMINAL.has(j.state)) return;
  const last = j.lastStepAt ?? 0;
  if (now - last < stepMs) return;
  const t = timestamp(now);
  j.lastStepAt = now;
  j.updateTime = t;
  switch (j.state) {
    case 'JOB_STATE_QUEUED':
      j.state = 'JOB_STATE_PENDING';
      return;
    case 'JOB_STATE_PENDING':
      j.state = 'JOB_STATE_RUNNING';
      j.startTime = t;
      return;
    case 'JOB_STATE_RUNNING': {
      const end = outcome(j);
      j.state = end;
      j.endTime = t;
      const n = Math.max(1, j.inputConfig?.gcsSource?.uris?.length ?? 1) * 3;
      if (end === 'JOB_STATE_FAILED') {
        j.error = { code: 3, message: `Batch prediction job ${j.displayName} failed: the model rejected every instance (emulator-outcome: failed).` };
        j.completionStats = { successfulCount: '0', failedCount: String(n), incompleteCount: '0' };
        return;
      }
      j.completionStats = end === 'JOB_STATE_SUCCEEDED'
        ? { successfulCount: String(n), failedCount: '0', incompleteCount: '0' }
        : { successfulCount: String(n - 1), failedCount: '1', incompleteCount: '0' };
      const gcs = j.outputConfig?.gcsDestination?.outputUriPrefix;
      const bq = j.outputConfig?.bigqueryDestination?.outputUri;
      if (gcs) j.outputInfo = { gcsOutputDirectory: `${gcs.replace(/\/$/, '')}/prediction-${modelDisplayName}-${folderTime(j.createTime ?? t)}` };
      else if (bq) j.outputInfo = { bigqueryOutputDataset: bq.replace(/\.[^.]*$/, '') };
      return;
    }
    case 'JOB_STATE_CANCELLING':
      j.state = 'JOB_STATE_CANCELLED';
      j.endTime = t;
      j.error = { code: 1, message: 'CANCELED' };
      return;
    default:
      return;
  }
}

const JOB_FIELDS = new Set([
  'name', 'displayName', 'model', 'modelVersionId', 'unmanagedContainerModel', 'inputConfig', 'instanceConfig',
  'modelParameters', 'outputConfig', 'dedicatedResources', 'serviceAccount', 'manualBatchTuningParameters',
  'generateExplanation', 'explanationSpec', 'outputInfo', 'state', 'error', 'partialFailures', 'resourcesConsumed',
  'completionStats', 'createTime', 'startTime', 'endTime', 'updateTime', 'labels', 'encryptionSpec',
  'disableContainerLogging', 'satisfiesPzs', 'satisfiesPzi',
]);

const OUTPUT_ONLY = ['name', 'modelVersionId', 'outputInfo', 'state', 'error', 'partialFailures', 'resourcesConsumed', 'completionStats', 'createTime', 'startTime', 'endTime', 'updateTime'];

function camelKeys(v: unknown, depth = 0): unknown {
  if (depth > 32 || !v || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map((x) => camelKeys(x, depth + 1));
  const out: Json = {};
  for (const [k, x] of Object.entries(v)) {
    const ck = k.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
    out[ck] = ck === 'labels' || ck === 'modelParameters' ? x : camelKeys(x, depth + 1);
  }
  return out;
}

const INSTANCE_FORMATS = ['jsonl', 'csv', 'bigquery', 'tf-record', 'tf-record-gzip', 'file-list'];
const PREDICTION_FORMATS = ['jsonl', 'csv', 'bigquery'];

function createJob(w: Where, project: { id: string; project: ProjectState }, location: string, body: unknown, ctx: EmuContext): BatchJobSeed {
  if (!body || typeof body !== 'object' || Array.isArray(body)) invalid('Invalid JSON payload received. Expected an object (BatchPredictionJob).');
  const job = camelKeys(body) as Json;
  const unknown = Object.keys(job).filter((k) => !JOB_FIELDS.has(k));
  if (unknown.length) {
    const msg = `Invalid JSON payload received. Unknown name "${unknown[0]}" at 'batch_prediction_job': Cannot find field.`;
    rpcFail('INVALID_ARGUMENT', msg, [badRequest([{ field: 'batch_prediction_job', description: msg }])]);
  }
  const violations: { field: string; description: string }[] = [];
  const need = (ok: boolean, field: string, description = 'Required field is not set.') => {
    if (!ok) violations.push({ field: `batch_prediction_job.${field}`, description });
  };
  const str = (v: unknown) => typeof v === 'string' && v.length > 0;
  need(str(job.displayName), 'display_name');
  need(str(job.model) || !!job.unmanagedContainerModel, 'model');
  const input = job.inputConfig as VertexBatchPredictionJob['inputConfig'] & Json | undefined;
  const output = job.outputConfig as VertexBatchPredictionJob['outputConfig'] & Json | undefined;
  need(!!input && typeof input === 'object', 'input_config');
  need(!!output && typeof output === 'object', 'output_config');
  if (input && typeof input === 'object') {
    need(str(input.instancesFormat), 'input_config.instances_format');
    if (str(input.instancesFormat)) need(INSTANCE_FORMATS.includes(input.instancesFormat!), 'input_config.instances_format', `Unsupported instances format "${input.instancesFormat}"; supported: ${INSTANCE_FORMATS.join(', ')}.`);
    const uris = input.gcsSource?.uris;
    const okSource = (Array.isArray(uris) && uris.length > 0 && uris.every((u) => typeof u === 'string' && u.startsWith('gs://'))) || str(input.bigquerySource?.inputUri);
    need(okSource, 'input_config.source', 'One of gcs_source (gs:// URIs) or bigquery_source must be set.');
  }
  if (output && typeof output === 'object') {
    need(str(output.predictionsFormat), 'output_config.predictions_format');
    if (str(output.predictionsFormat)) need(PREDICTION_FORMATS.includes(output.predictionsFormat!), 'output_config.predictions_format', `Unsupported predictions format "${output.predictionsFormat}"; supported: ${PREDICTION_FORMATS.join(', ')}.`);
    const prefix = output.gcsDestination?.outputUriPrefix;
    const okDest = (typeof prefix === 'string' && prefix.startsWith('gs://')) || str(output.bigqueryDestination?.outputUri);
    need(okDest, 'output_config.destination', 'One of gcs_destination (a gs:// prefix) or bigquery_destination must be set.');
  }
  if (violations.length) fieldErrors(violations);

  let modelId = '';
  let versionId: string | undefined;
  if (str(job.model)) {
    const m = /^projects\/([^/]+)\/locations\/([^/]+)\/models\/([^/@]+)(?:@(.+))?$/.exec(job.model as string);
    if (!m) fieldErrors([{ field: 'batch_prediction_job.model', description: `Invalid Model resource name "${job.model as string}".` }]);
    const [, p, l, id, ver] = m;
    if ((p !== project.id && p !== project.project.number) || l !== location) {
      fieldErrors([{ field: 'batch_prediction_job.model', description: `The Model must be in the same project and location as the job (projects/${project.id}/locations/${location}).` }]);
    }
    const model = w.loc.models!.find((x) => x.id === id);
    if (!model) rpcFail('NOT_FOUND', `The Model "${modelName(w, id!)}" does not exist.`);
    const version = ver ? model.versions.find((v) => v.versionId === ver || v.aliases?.includes(ver)) : defaultVersion(model);
    if (!version) rpcFail('NOT_FOUND', `The Model version "${ver}" of "${modelName(w, id!)}" does not exist.`);
    modelId = id!;
    versionId = version.versionId;
  }
  const now = ctx.now();
  const t = timestamp(now);
  const seed: Json = { ...job };
  for (const k of OUTPUT_ONLY) delete seed[k];
  return {
    ...(seed as Partial<BatchJobSeed>),
    id: ctx.nextId('6'),
    displayName: job.displayName as string,
    model: modelId,
    modelVersionId: versionId,
    state: 'JOB_STATE_PENDING',
    createTime: t,
    updateTime: t,
    lastStepAt: now,
  } as BatchJobSeed;
}

// ---------------------------------------------------------------------------------------------
// Routing

interface Route {
  permission: string;
  rpc: string;
  run: () => EmuResponse | Promise<EmuResponse>;
}

/**
 * Answers a Vertex AI request, or undefined when no Vertex AI route has this path (the server then
 * answers the front end's HTML 404). `segments` are the decoded path segments after /v1 or /ui.
 */
export async function handleVertex(req: EmuRequest, ctx: EmuContext, segments: string[], ui: boolean): Promise<EmuResponse | undefined> {
  if (segments[0] !== 'projects' || segments.length < 3 || segments[2] !== 'locations') return undefined;
  const projectRef = segments[1]!;
  const location = segments[3];
  const rest = segments.slice(4);

  // Which route, before any access check (an unknown path is the front end's 404, not a 403).
  const route = location === undefined
    ? ui ? undefined : locationsRoute(req, ctx, projectRef)
    : matchRoute(req, ctx, projectRef, location, rest, ui);
  if (!route) return undefined;

  const resource = location === undefined ? `projects/${projectRef}` : `projects/${projectRef}/locations/${location}`;
  const g = ctx.guard(req, SERVICE, route.permission, route.rpc, projectRef, resource);
  if ('response' in g) return g.response;
  return route.run();
}

function locationsRoute(req: EmuRequest, ctx: EmuContext, projectRef: string): Route | undefined {
  if (req.method !== 'GET') return undefined;
  return {
    permission: 'aiplatform.locations.list',
    rpc: 'google.cloud.location.Locations.ListLocations',
    run: () => {
      const project = findProjectState(ctx, projectRef)!;
      const ids = [...new Set([...VERTEX_REGIONS, ...Object.keys(project.locations ?? {})])];
      const size = pageSizeOf(req.url, 'pageSize', 100, 1000, invalid);
      const { page, next } = paginate(ids, req.url, `locations|${projectRef}`, size, invalid);
      const locations = page.map((id) => ({ name: `projects/${projectRef}/locations/${id}`, locationId: id }));
      return jsonResponse(200, nonEmpty({ locations, nextPageToken: next }));
    },
  };
}

function findProjectState(ctx: EmuContext, ref: string): ProjectState | undefined {
  const direct = ctx.state.projects[ref];
  if (direct) return direct;
  return Object.values(ctx.state.projects).find((p) => p.number === ref);
}

function projectIdOf(ctx: EmuContext, ref: string): string {
  if (ctx.state.projects[ref]) return ref;
  return Object.entries(ctx.state.projects).find(([, p]) => p.number === ref)?.[0] ?? ref;
}

function splitVerb(seg: string): [string, string | undefined] {
  const i = seg.lastIndexOf(':');
  return i > 0 ? [seg.slice(0, i), seg.slice(i + 1)] : [seg, undefined];
}

function matchRoute(req: EmuRequest, ctx: EmuContext, projectRef: string, location: string, rest: string[], ui: boolean): Route | undefined {
  const m = req.method;
  // Resolved lazily: the guard runs first and guarantees the project exists.
  const where = (): Where => {
    const project = findProjectState(ctx, projectRef)!;
    if (!VERTEX_REGIONS.includes(location) && !project.locations?.[location]) {
      invalid(`Location "${location}" is not a supported Vertex AI region. Use one of: ${VERTEX_REGIONS.join(', ')}.`);
    }
    project.locations ??= {};
    const loc = (project.locations[location] ??= { endpoints: [], models: [], batchPredictionJobs: [] });
    loc.endpoints ??= [];
    loc.models ??= [];
    loc.batchPredictionJobs ??= [];
    return { parent: `projects/${project.number}/locations/${location}`, loc, numeric: req.numericEnums };
  };
  const [first, second, third, fourth] = rest;

  // Long-running operations: .../operations/{o} and .../endpoints/{e}/operations/{o}, under /v1 and /ui.
  if (m === 'GET' && rest.length === 2 && first === 'operations') {
    return { permission: 'aiplatform.operations.get', rpc: 'google.longrunning.Operations.GetOperation', run: () => getOperation(ctx, where(), `operations/${second}`) };
  }
  if (m === 'GET' && rest.length === 4 && first === 'endpoints' && third === 'operations') {
    return { permission: 'aiplatform.operations.get', rpc: 'google.longrunning.Operations.GetOperation', run: () => getOperation(ctx, where(), `endpoints/${second}/operations/${fourth}`) };
  }
  if (m === 'GET' && rest.length === 1 && first === 'operations') {
    return { permission: 'aiplatform.operations.list', rpc: 'google.longrunning.Operations.ListOperations', run: () => listOperations(req, ctx, where()) };
  }
  if (ui) return undefined;

  if (rest.length === 0 && m === 'GET') {
    return {
      permission: 'aiplatform.locations.get',
      rpc: 'google.cloud.location.Locations.GetLocation',
      run: () => {
        where();
        return jsonResponse(200, { name: `projects/${projectRef}/locations/${location}`, locationId: location });
      },
    };
  }

  if (first === 'endpoints') {
    if (rest.length === 1 && m === 'GET') {
      return { permission: 'aiplatform.endpoints.list', rpc: 'google.cloud.aiplatform.v1.EndpointService.ListEndpoints', run: () => listEndpoints(req, where()) };
    }
    if (rest.length === 1 && m === 'POST') {
      return { permission: 'aiplatform.endpoints.create', rpc: 'google.cloud.aiplatform.v1.EndpointService.CreateEndpoint', run: async () => createEndpoint(req, ctx, where(), await req.json()) };
    }
    if (rest.length === 2) {
      const [id, verb] = splitVerb(second!);
      if (!verb && m === 'GET') {
        return { permission: 'aiplatform.endpoints.get', rpc: 'google.cloud.aiplatform.v1.EndpointService.GetEndpoint', run: () => getEndpoint(where(), id) };
      }
      if (verb && m === 'POST' && ['predict', 'rawPredict', 'explain', 'streamRawPredict', 'directPredict', 'directRawPredict'].includes(verb)) {
        return {
          permission: verb === 'explain' ? 'aiplatform.endpoints.explain' : 'aiplatform.endpoints.predict',
          rpc: `google.cloud.aiplatform.v1.PredictionService.${verb[0]!.toUpperCase()}${verb.slice(1)}`,
          run: () => endpointPrediction(req, ctx, where(), id, verb),
        };
      }
    }
    return undefined;
  }

  if (first === 'models') {
    if (rest.length === 1 && m === 'GET') {
      return { permission: 'aiplatform.models.list', rpc: 'google.cloud.aiplatform.v1.ModelService.ListModels', run: () => listModels(req, where()) };
    }
    if (rest.length === 2 && m === 'GET') {
      const [idv, verb] = splitVerb(second!);
      if (verb === 'listVersions') {
        return { permission: 'aiplatform.models.list', rpc: 'google.cloud.aiplatform.v1.ModelService.ListModelVersions', run: () => listVersions(req, where(), idv) };
      }
      if (!verb) {
        return { permission: 'aiplatform.models.get', rpc: 'google.cloud.aiplatform.v1.ModelService.GetModel', run: () => getModel(where(), idv) };
      }
    }
    return undefined;
  }

  if (first === 'batchPredictionJobs') {
    if (rest.length === 1 && m === 'GET') {
      return { permission: 'aiplatform.batchPredictionJobs.list', rpc: 'google.cloud.aiplatform.v1.JobService.ListBatchPredictionJobs', run: () => listJobs(req, ctx, where()) };
    }
    if (rest.length === 1 && m === 'POST') {
      return {
        permission: 'aiplatform.batchPredictionJobs.create',
        rpc: 'google.cloud.aiplatform.v1.JobService.CreateBatchPredictionJob',
        run: async () => {
          const w = where();
          const body = await req.json();
          const job = createJob(w, { id: projectIdOf(ctx, projectRef), project: findProjectState(ctx, projectRef)! }, location, body, ctx);
          w.loc.batchPredictionJobs!.push(job);
          return jsonResponse(200, jobJson(w, job));
        },
      };
    }
    if (rest.length === 2) {
      const [id, verb] = splitVerb(second!);
      if (!verb && m === 'GET') {
        return { permission: 'aiplatform.batchPredictionJobs.get', rpc: 'google.cloud.aiplatform.v1.JobService.GetBatchPredictionJob', run: () => getJob(ctx, where(), id) };
      }
      if (!verb && m === 'DELETE') {
        return { permission: 'aiplatform.batchPredictionJobs.delete', rpc: 'google.cloud.aiplatform.v1.JobService.DeleteBatchPredictionJob', run: () => deleteJob(ctx, where(), id) };
      }
      if (verb === 'cancel' && m === 'POST') {
        return { permission: 'aiplatform.batchPredictionJobs.cancel', rpc: 'google.cloud.aiplatform.v1.JobService.CancelBatchPredictionJob', run: () => cancelJob(ctx, where(), id) };
      }
    }
    return undefined;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Predictions: {endpoint}:predict | :explain | :rawPredict (the other verbs: 501)

const PREDICT_FIELDS: Record<string, readonly string[]> = {
  predict: ['instances', 'parameters'],
  explain: ['instances', 'parameters', 'deployedModelId', 'explanationSpecOverride'],
};

/**
 * A prediction on an endpoint. The deployed model is `deployedModelId` (explain) or the traffic
 * split's pick; its model version's artifactUri (a mounted gs:// folder) is the model folder run by
 * the predictor. :predict and :explain run serving_default (as Vertex AI does) and wrap TF Serving's
 * error text in a 400 FAILED_PRECONDITION, as Vertex AI does; :rawPredict hands the body (with any
 * `signature_name`) to the model server and answers its body and status as is.
 */
async function endpointPrediction(req: EmuRequest, ctx: EmuContext, w: Where, id: string, verb: string): Promise<EmuResponse> {
  const e = findEndpoint(w, id);
  const endpointName = `${w.parent}/endpoints/${id}`;
  if (verb !== 'predict' && verb !== 'explain' && verb !== 'rawPredict') {
    return rpcError('UNIMPLEMENTED', `The ServeLens emulator does not answer :${verb} (${endpointName}:${verb}); use :predict, :explain or :rawPredict.`);
  }
  let body: PredictJson;
  if (verb === 'rawPredict') {
    const type = String(req.headers['content-type'] ?? '');
    if (!/^application\/json\b/i.test(type)) {
      return jsonResponse(400, { error: `Unsupported Content-Type "${type}": the TensorFlow model server takes application/json.` });
    }
    const raw = req.raw();
    let parsed: unknown;
    try {
      parsed = raw.length ? JSON.parse(raw.toString('utf8')) : undefined;
    } catch (err) {
      return jsonResponse(400, { error: `JSON Parse error: ${(err as Error).message}` });
    }
    if (!isJsonObject(parsed)) return jsonResponse(400, { error: 'JSON Parse error: The document root must be an object' });
    body = parsed;
  } else {
    const parsed = await req.json();
    if (!isJsonObject(parsed)) invalid('Invalid JSON payload received. Expected an object.');
    const unknown = Object.keys(parsed).filter((k) => !PREDICT_FIELDS[verb]!.includes(k));
    if (unknown.length) {
      const msg = `Invalid JSON payload received. Unknown name "${unknown[0]}": Cannot find field.`;
      rpcFail('INVALID_ARGUMENT', msg, [badRequest([{ field: unknown[0]!, description: msg }])]);
    }
    if (!Array.isArray(parsed.instances) || parsed.instances.length === 0) {
      fieldErrors([{ field: 'instances', description: 'Required field is not set or empty.' }]);
    }
    body = parsed;
  }
  const deployed = e.deployedModels ?? [];
  if (deployed.length === 0) rpcFail('FAILED_PRECONDITION', `Endpoint \`${endpointName}\` does not have any deployed models.`);
  let dm: DeployedModelSeed | undefined;
  if (verb === 'explain' && typeof body.deployedModelId === 'string' && body.deployedModelId) {
    dm = deployed.find((d) => d.id === body.deployedModelId);
    if (!dm) rpcFail('NOT_FOUND', `DeployedModel \`${body.deployedModelId as string}\` not found in Endpoint \`${endpointName}\`.`);
  } else {
    dm = pickByTraffic(ctx, deployed, e.trafficSplit);
  }
  if (!dm) rpcFail('FAILED_PRECONDITION', `Endpoint \`${endpointName}\` does not have any deployed models.`);
  if (verb === 'explain' && dm.disableExplanations) {
    rpcFail('FAILED_PRECONDITION', `Explanations are disabled for DeployedModel \`${dm.id}\` of Endpoint \`${endpointName}\`.`);
  }
  const model = w.loc.models!.find((m) => m.id === dm.model);
  const version = model?.versions.find((v) => v.versionId === (dm.modelVersionId ?? defaultVersion(model).versionId));
  const dir = version?.artifactUri ? await gcsFolder(ctx.state, version.artifactUri) : undefined;
  if (!model || !version || !dir) rpcFail('INTERNAL', `The model of DeployedModel \`${dm.id}\` has no artifact the emulator can read.`);
  const headers = { 'x-vertex-ai-endpoint-id': id, 'x-vertex-ai-deployed-model-id': dm.id };
  if (!ctx.predictor) {
    const res = noPredictor(`${endpointName}:${verb}`);
    return { ...res, headers: { ...res.headers, ...headers } };
  }
  const { deployedModelId: _d, explanationSpecOverride: _x, ...forModel } = body;
  const run = await runModel(ctx.predictor, verb === 'explain' ? 'explain' : 'predict', dir, forModel, 'predict', verb === 'rawPredict' ? undefined : 'serving_default');
  if (isRefusal(run)) {
    const status = run.status;
    if (verb === 'rawPredict') return jsonResponse(status, { error: run.refused }, headers);
    const wrapped = JSON.stringify({ error: run.refused }, null, 4);
    return rpcError(status === 400 ? 'FAILED_PRECONDITION' : 'INTERNAL', wrapped, undefined, headers);
  }
  const out = run.answer;
  if (verb === 'rawPredict') return jsonResponse(200, out, headers);
  const served = {
    deployedModelId: dm.id,
    model: modelName(w, model.id),
    modelDisplayName: model.displayName,
    modelVersionId: version.versionId,
  };
  if (verb === 'explain') return jsonResponse(200, { explanations: out.explanations ?? [], deployedModelId: dm.id, ...(out.predictions !== undefined ? { predictions: out.predictions } : {}) }, headers);
  return jsonResponse(200, { predictions: out.predictions ?? out.outputs ?? [], ...served }, headers);
}

// ---------------------------------------------------------------------------------------------
// Handlers

function listEndpoints(req: EmuRequest, w: Where): EmuResponse {
  const pred = compileFilter<EndpointSeed>(req.url.searchParams.get('filter'), {
    displayName: (e) => e.displayName,
    endpoint: (e) => e.id,
  });
  if (typeof pred === 'string') invalid(pred);
  const all = w.loc.endpoints!.filter(pred);
  const size = pageSizeOf(req.url, 'pageSize', 100, 1000, invalid);
  const { page, next } = paginate(all, req.url, `endpoints|${w.parent}|${req.url.searchParams.get('filter') ?? ''}`, size, invalid);
  return jsonResponse(200, nonEmpty({ endpoints: page.map((e) => endpointJson(w, e)), nextPageToken: next }));
}

function findEndpoint(w: Where, id: string): EndpointSeed {
  const e = w.loc.endpoints!.find((x) => x.id === id);
  if (!e) rpcFail('NOT_FOUND', `Endpoint \`${w.parent}/endpoints/${id}\` not found.`);
  return e;
}

function getEndpoint(w: Where, id: string): EmuResponse {
  return jsonResponse(200, endpointJson(w, findEndpoint(w, id)));
}

function createEndpoint(req: EmuRequest, ctx: EmuContext, w: Where, body: unknown): EmuResponse {
  if (!body || typeof body !== 'object' || Array.isArray(body)) invalid('Invalid JSON payload received. Expected an object (Endpoint).');
  const e = camelKeys(body) as Json;
  if (typeof e.displayName !== 'string' || !e.displayName) fieldErrors([{ field: 'endpoint.display_name', description: 'Required field is not set.' }]);
  const wanted = req.url.searchParams.get('endpointId');
  if (wanted !== null && !/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$|^[1-9]\d{0,18}$/.test(wanted)) {
    invalid(`Invalid endpoint_id "${wanted}".`);
  }
  const id = wanted ?? ctx.nextId('5');
  if (w.loc.endpoints!.some((x) => x.id === id)) rpcFail('ALREADY_EXISTS', `Endpoint \`${w.parent}/endpoints/${id}\` already exists.`);
  const now = ctx.now();
  const t = timestamp(now);
  const seed: EndpointSeed = {
    id,
    displayName: e.displayName as string,
    description: typeof e.description === 'string' ? e.description : undefined,
    labels: (e.labels as Record<string, string> | undefined) ?? undefined,
    createTime: t,
    updateTime: t,
    etag: `AMEw9yN${id.slice(-6)}`,
  };
  if (typeof e.dedicatedEndpointEnabled === 'boolean') seed.dedicatedEndpointEnabled = e.dedicatedEndpointEnabled;
  const opName = `${w.parent}/endpoints/${id}/operations/${ctx.nextId('4')}`;
  let updated = t;
  const op: OperationRecord = {
    name: opName,
    startedAt: now,
    done: false,
    metadata: () => ({ '@type': `${TYPE}CreateEndpointOperationMetadata`, genericMetadata: { createTime: t, updateTime: updated } }),
    complete: () => {
      updated = timestamp(ctx.now());
      w.loc.endpoints!.push(seed);
      return { '@type': `${TYPE}Endpoint`, ...endpointJson({ ...w, numeric: false }, seed) };
    },
  };
  ctx.operations.set(opName, op);
  return jsonResponse(200, operationJson(op));
}

function listModels(req: EmuRequest, w: Where): EmuResponse {
  const pred = compileFilter<ModelSeed>(req.url.searchParams.get('filter'), {
    displayName: (m) => m.displayName,
    model: (m) => m.id,
  });
  if (typeof pred === 'string') invalid(pred);
  const all = w.loc.models!.filter(pred);
  const size = pageSizeOf(req.url, 'pageSize', 100, 1000, invalid);
  const { page, next } = paginate(all, req.url, `models|${w.parent}|${req.url.searchParams.get('filter') ?? ''}`, size, invalid);
  return jsonResponse(200, nonEmpty({ models: page.map((m) => modelJson(w, m, defaultVersion(m))), nextPageToken: next }));
}

function findModel(w: Where, id: string): ModelSeed {
  const m = w.loc.models!.find((x) => x.id === id);
  if (!m) rpcFail('NOT_FOUND', `Model \`${modelName(w, id)}\` not found.`);
  return m;
}

function getModel(w: Where, idv: string): EmuResponse {
  const at = idv.indexOf('@');
  const id = at >= 0 ? idv.slice(0, at) : idv;
  const m = findModel(w, id);
  if (at < 0) return jsonResponse(200, modelJson(w, m, defaultVersion(m)));
  const ver = idv.slice(at + 1);
  const v = m.versions.find((x) => x.versionId === ver) ?? m.versions.find((x) => x.aliases?.includes(ver));
  if (!v) rpcFail('NOT_FOUND', `Model \`${modelName(w, id)}@${ver}\` not found: no version or alias "${ver}".`);
  return jsonResponse(200, modelJson(w, m, v));
}

function listVersions(req: EmuRequest, w: Where, id: string): EmuResponse {
  const m = findModel(w, id);
  const pred = compileFilter<ModelVersionSeed & { labels?: Record<string, string> }>(req.url.searchParams.get('filter'), {
    versionId: (v) => v.versionId,
  });
  if (typeof pred === 'string') invalid(pred);
  const all = m.versions.filter((v) => pred({ ...v, labels: v.labels ?? m.labels }));
  const size = pageSizeOf(req.url, 'pageSize', 100, 1000, invalid);
  const { page, next } = paginate(all, req.url, `versions|${modelName(w, id)}|${req.url.searchParams.get('filter') ?? ''}`, size, invalid);
  return jsonResponse(200, nonEmpty({ models: page.map((v) => modelJson(w, m, v)), nextPageToken: next }));
}

function modelDisplayName(w: Where, j: BatchJobSeed): string | undefined {
  return w.loc.models!.find((m) => m.id === j.model.split('@')[0])?.displayName;
}

function stepMs(ctx: EmuContext): number {
  return ctx.state.timing?.jobStepMs ?? 1000;
}

function listJobs(req: EmuRequest, ctx: EmuContext, w: Where): EmuResponse {
  const now = ctx.now();
  for (const j of w.loc.batchPredictionJobs!) advanceJob(j, stepMs(ctx), now, modelDisplayName(w, j));
  const pred = compileFilter<BatchJobSeed>(req.url.searchParams.get('filter'), {
    state: (j) => j.state,
    displayName: (j) => j.displayName,
    modelDisplayName: (j) => modelDisplayName(w, j),
  });
  if (typeof pred === 'string') invalid(pred);
  const all = w.loc.batchPredictionJobs!.filter(pred);
  const size = pageSizeOf(req.url, 'pageSize', 100, 1000, invalid);
  const { page, next } = paginate(all, req.url, `jobs|${w.parent}|${req.url.searchParams.get('filter') ?? ''}`, size, invalid);
  return jsonResponse(200, nonEmpty({ batchPredictionJobs: page.map((j) => jobJson(w, j)), nextPageToken: next }));
}

function findJob(w: Where, id: string): BatchJobSeed {
  const j = w.loc.batchPredictionJobs!.find((x) => x.id === id);
  if (!j) rpcFail('NOT_FOUND', `BatchPredictionJob \`${w.parent}/batchPredictionJobs/${id}\` not found.`);
  return j;
}

function getJob(ctx: EmuContext, w: Where, id: string): EmuResponse {
  const j = findJob(w, id);
  advanceJob(j, stepMs(ctx), ctx.now(), modelDisplayName(w, j));
  return jsonResponse(200, jobJson(w, j));
}

function cancelJob(ctx: EmuContext, w: Where, id: string): EmuResponse {
  const j = findJob(w, id);
  if (TERMINAL.has(j.state) || j.state === 'JOB_STATE_CANCELLING') {
    rpcFail('FAILED_PRECONDITION', `BatchPredictionJob \`${w.parent}/batchPredictionJobs/${id}\` is in state ${j.state} and cannot be cancelled.`);
  }
  const now = ctx.now();
  j.state = 'JOB_STATE_CANCELLING';
  j.lastStepAt = now;
  j.updateTime = timestamp(now);
  return jsonResponse(200, {});
}

function deleteJob(ctx: EmuContext, w: Where, id: string): EmuResponse {
  const j = findJob(w, id);
  if (!TERMINAL.has(j.state)) {
    rpcFail('FAILED_PRECONDITION', `BatchPredictionJob \`${w.parent}/batchPredictionJobs/${id}\` is in state ${j.state}; cancel it and wait for it to finish before deleting it.`);
  }
  w.loc.batchPredictionJobs!.splice(w.loc.batchPredictionJobs!.indexOf(j), 1);
  const now = ctx.now();
  const t = timestamp(now);
  const op: OperationRecord = {
    name: `${w.parent}/operations/${ctx.nextId('3')}`,
    startedAt: now,
    done: true,
    metadata: () => ({ '@type': `${TYPE}DeleteOperationMetadata`, genericMetadata: { createTime: t, updateTime: t } }),
    response: { '@type': 'type.googleapis.com/google.protobuf.Empty' },
  };
  ctx.operations.set(op.name, op);
  return jsonResponse(200, operationJson(op));
}

function settle(ctx: EmuContext, op: OperationRecord): void {
  if (op.done) return;
  if (ctx.now() - op.startedAt < (ctx.state.timing?.operationDoneMs ?? 0)) return;
  op.done = true;
  if (op.complete) op.response = op.complete();
}

function numericOperation(op: Json, numeric: boolean): Json {
  if (!numeric) return op;
  const r = op.response as Json | undefined;
  if (r && r['@type'] === `${TYPE}Endpoint`) {
    for (const dm of (r.deployedModels as Json[] | undefined) ?? []) withNumericAccelerator(dm.dedicatedResources as never);
  }
  return op;
}

function getOperation(ctx: EmuContext, w: Where, tail: string): EmuResponse {
  const name = `${w.parent}/${tail}`;
  const op = ctx.operations.get(name);
  if (!op) rpcFail('NOT_FOUND', `Operation \`${name}\` not found.`);
  settle(ctx, op);
  return jsonResponse(200, numericOperation(operationJson(op), w.numeric));
}

function listOperations(req: EmuRequest, ctx: EmuContext, w: Where): EmuResponse {
  const ops = [...ctx.operations.values()].filter((o) => o.name.startsWith(`${w.parent}/`));
  for (const o of ops) settle(ctx, o);
  const size = pageSizeOf(req.url, 'pageSize', 100, 1000, invalid);
  const { page, next } = paginate(ops, req.url, `operations|${w.parent}`, size, invalid);
  return jsonResponse(200, nonEmpty({ operations: page.map((o) => numericOperation(operationJson(o), w.numeric)), nextPageToken: next }));
}

/** Decodes `/v1/...` path segments; undefined when an escape is malformed. */
export function pathSegments(rawPath: string, prefix: string): string[] | undefined {
  const out: string[] = [];
  for (const s of rawPath.slice(prefix.length).split('/')) {
    if (s === '') continue;
    const d = decodeSegment(s);
    if (d === undefined) return undefined;
    out.push(d);
  }
  return out;
}
