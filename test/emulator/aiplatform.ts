/**
 * AI Platform (legacy ml.googleapis.com) v1 on `/v1/projects/{p}/models[...]`, for the global and
 * the regional (`{region}-ml`) hosts alike: one emulator host serves both. Names use the project id;
 * `pageSize` defaults to 20 and is at most 100; an empty list is `{}`; enums are names (a discovery
 * API: no enum-encoding parameter).
 */
import { createHash } from 'node:crypto';
import type { AiPlatformModel, AiPlatformVersion } from '../../src/core/cloud/contract';
import type { EmuContext } from './context';
import { compileFilter } from './filter';
import { jsonResponse, paginate, pageSizeOf, rpcFail, type EmuRequest, type EmuResponse } from './http';
import { isJsonObject, isRefusal, noPredictor, runModel } from './predict';
import { gcsFolder } from './storage';
import type { LegacyModelSeed, LegacyVersionSeed, ProjectState } from './types';

const SERVICE = 'ml.googleapis.com' as const;

function invalid(message: string): never {
  rpcFail('INVALID_ARGUMENT', message);
}

function etagOf(s: string): string {
  return createHash('sha1').update(s).digest('base64').slice(0, 12);
}

function defaultName(m: LegacyModelSeed): string | undefined {
  return m.defaultVersion ?? m.versions[0]?.name;
}

export function versionJson(projectId: string, m: LegacyModelSeed, v: LegacyVersionSeed): AiPlatformVersion {
  const { name, ...rest } = JSON.parse(JSON.stringify(v)) as LegacyVersionSeed;
  const out: AiPlatformVersion = { name: `projects/${projectId}/models/${m.name}/versions/${name}` };
  if (defaultName(m) === name) out.isDefault = true;
  Object.assign(out, rest);
  out.etag ??= etagOf(out.name);
  return out;
}

export function modelJson(projectId: string, m: LegacyModelSeed): AiPlatformModel {
  const out: AiPlatformModel = { name: `projects/${projectId}/models/${m.name}` };
  if (m.description) out.description = m.description;
  const dv = m.versions.find((v) => v.name === defaultName(m));
  if (dv) out.defaultVersion = versionJson(projectId, m, dv);
  out.regions = m.regions ?? ['us-central1'];
  if (m.onlinePredictionLogging) out.onlinePredictionLogging = true;
  if (m.onlinePredictionConsoleLogging) out.onlinePredictionConsoleLogging = true;
  if (m.labels && Object.keys(m.labels).length) out.labels = { ...m.labels };
  out.etag = etagOf(out.name);
  return out;
}

/** Answers an AI Platform request, or undefined when the path is not an AI Platform route. */
export async function handleAiPlatform(req: EmuRequest, ctx: EmuContext, segments: string[]): Promise<EmuResponse | undefined> {
  if (segments[0] !== 'projects' || segments[2] !== 'models' || segments.length < 3 || segments.length > 6) return undefined;
  const projectRef = segments[1]!;
  const rest = segments.slice(3); // [], [m], [m, 'versions'], [m, 'versions', v]
  if (rest.length === 2 && rest[1] !== 'versions') return undefined;
  if (rest.length === 3 && rest[1] !== 'versions') return undefined;

  const lastRaw = rest[rest.length - 1];
  const verbAt = lastRaw?.lastIndexOf(':') ?? -1;
  const verb = lastRaw && verbAt > 0 ? lastRaw.slice(verbAt + 1) : undefined;
  if (verb) {
    if (req.method !== 'POST' || !['predict', 'explain'].includes(verb) || (rest.length !== 1 && rest.length !== 3)) return undefined;
  } else if (req.method !== 'GET') {
    return undefined;
  }
  const strip = (s: string) => (verb ? s.slice(0, s.lastIndexOf(':')) : s);
  const modelId = rest[0] === undefined ? undefined : rest.length === 1 ? strip(rest[0]) : rest[0];
  const versionId = rest.length === 3 ? strip(rest[2]!) : undefined;

  const permission = verb ? 'ml.models.predict' : rest.length === 0 ? 'ml.models.list' : rest.length === 1 ? 'ml.models.get' : rest.length === 2 ? 'ml.versions.list' : 'ml.versions.get';
  const rpc = verb
    ? 'google.cloud.ml.v1.PredictionService.Predict'
    : `google.cloud.ml.v1.${rest.length < 2 ? 'ModelService' : 'VersionService'}.${['ListModels', 'GetModel', 'ListVersions', 'GetVersion'][rest.length]}`;
  const g = ctx.guard(req, SERVICE, permission, rpc, projectRef, `projects/${projectRef}`);
  if ('response' in g) return g.response;
  const { id: projectId, project } = g;

  if (rest.length === 0) return listModels(req, projectId, project);
  const model = findModel(projectId, project, modelId!);
  if (verb) return prediction(req, ctx, projectId, model, versionId, verb as 'predict' | 'explain');
  if (rest.length === 1) return jsonResponse(200, modelJson(projectId, model));
  if (rest.length === 2) return listVersions(req, projectId, model);
  return jsonResponse(200, versionJson(projectId, model, findVersion(projectId, model, versionId!)));
}

/**
 * `:predict` / `:explain` on a model (its default version) or a version: `{instances,
 * signature_name?}` → `{predictions}` (`{explanations}`). Refusals are `{"error": "..."}`: a request
 * the model server refuses up front with HTTP 400, a failure while the model runs with HTTP 200 and
 * "Prediction failed: ..." (as AI Platform answers them); a version that is not READY is 400
 * FAILED_PRECONDITION.
 */
async function prediction(req: EmuRequest, ctx: EmuContext, projectId: string, m: LegacyModelSeed, versionId: string | undefined, verb: 'predict' | 'explain'): Promise<EmuResponse> {
  const v = versionId !== undefined ? findVersion(projectId, m, versionId) : m.versions.find((x) => x.name === defaultName(m));
  if (!v) rpcFail('FAILED_PRECONDITION', `Field: name Error: The model projects/${projectId}/models/${m.name} has no default version.`);
  if ((v.state ?? 'READY') !== 'READY') {
    rpcFail('FAILED_PRECONDITION', 'Field: name Error: Online prediction is unavailable for this version. Please verify that CreateVersion has completed successfully.');
  }
  const body = await req.json();
  if (!isJsonObject(body)) return jsonResponse(400, { error: 'Invalid request: the body must be a JSON object with "instances".' });
  if (!Array.isArray(body.instances)) return jsonResponse(400, { error: "Invalid request: 'instances' must be a list of instances." });
  const dir = v.deploymentUri ? await gcsFolder(ctx.state, v.deploymentUri) : undefined;
  if (!dir) rpcFail('INTERNAL', `The deployment of projects/${projectId}/models/${m.name}/versions/${v.name} has no model the emulator can read.`);
  if (!ctx.predictor) return noPredictor(`projects/${projectId}/models/${m.name}/versions/${v.name}:${verb}`);
  const run = await runModel(ctx.predictor, verb, dir, body, 'predict');
  if (isRefusal(run)) {
    if (run.stage === 'request') return jsonResponse(run.status, { error: run.refused });
    return jsonResponse(200, { error: `Prediction failed: Error during model execution: ${run.refused}` });
  }
  if (verb === 'explain') return jsonResponse(200, { explanations: run.answer.explanations ?? [] });
  return jsonResponse(200, { predictions: run.answer.predictions ?? run.answer.outputs ?? [] });
}

function models(project: ProjectState): LegacyModelSeed[] {
  return project.aiPlatform?.models ?? [];
}

function findModel(projectId: string, project: ProjectState, name: string): LegacyModelSeed {
  const m = models(project).find((x) => x.name === name);
  if (!m) rpcFail('NOT_FOUND', `Field: name Error: The model resource: "projects/${projectId}/models/${name}" was not found. Please create the Cloud ML model resource first by using 'gcloud ai-platform models create ${name}'.`);
  return m;
}

function findVersion(projectId: string, m: LegacyModelSeed, name: string): LegacyVersionSeed {
  const v = m.versions.find((x) => x.name === name);
  if (!v) rpcFail('NOT_FOUND', `Field: name Error: The specified model version was not found: "projects/${projectId}/models/${m.name}/versions/${name}".`);
  return v;
}

function listModels(req: EmuRequest, projectId: string, project: ProjectState): EmuResponse {
  const pred = compileFilter<LegacyModelSeed>(req.url.searchParams.get('filter'), { name: (m) => m.name });
  if (typeof pred === 'string') invalid(pred);
  const all = models(project).filter(pred);
  const size = pageSizeOf(req.url, 'pageSize', 20, 100, invalid);
  const { page, next } = paginate(all, req.url, `ml-models|${projectId}|${req.url.searchParams.get('filter') ?? ''}`, size, invalid);
  const body: Record<string, unknown> = {};
  if (page.length) body.models = page.map((m) => modelJson(projectId, m));
  if (next) body.nextPageToken = next;
  return jsonResponse(200, body);
}

function listVersions(req: EmuRequest, projectId: string, m: LegacyModelSeed): EmuResponse {
  const pred = compileFilter<LegacyVersionSeed>(req.url.searchParams.get('filter'), { name: (v) => v.name, state: (v) => v.state });
  if (typeof pred === 'string') invalid(pred);
  const all = m.versions.filter(pred);
  const size = pageSizeOf(req.url, 'pageSize', 20, 100, invalid);
  const { page, next } = paginate(all, req.url, `ml-versions|${projectId}|${m.name}|${req.url.searchParams.get('filter') ?? ''}`, size, invalid);
  const body: Record<string, unknown> = {};
  if (page.length) body.versions = page.map((v) => versionJson(projectId, m, v));
  if (next) body.nextPageToken = next;
  return jsonResponse(200, body);
}
