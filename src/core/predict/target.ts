/**
 * Where a Predict / Explain goes, and sending it there. `PredictTarget` is keyed by the binding
 * file's own target kinds (`TargetKind` of core/request: 'vertex' | 'ai-platform' | 'tf-serving' |
 * 'local'), so a binding becomes a target with `targetFromBinding()` and nothing is named twice.
 *
 *   const target = targetFromBinding(match.binding.target, root);
 *   const r = await send(target, requestText, 'predict', { http, apiEndpoint, local }, { signature });
 *   r.text / r.json / r.latencyMs / r.deployedModelId ...
 *
 * The local kind is handed to the injected `local` function (the local runner); nothing here runs
 * a model.
 */
import { resolve } from 'node:path';
import { AiPlatformClient } from '../cloud/aiplatform';
import type { HttpClient, CallOptions } from '../cloud/http';
import { parseResourceName } from '../cloud/names';
import { bodyObject, bodyText, jsonCall, type PredictBody, type PredictCall, type VertexServedBy } from '../cloud/predict';
import { TfServingClient, type ServableSelector, type TfServingVerb } from '../cloud/tfserving';
import { VertexClient } from '../cloud/vertex';
import { UsageError } from '../errors';
import type { BindingTarget } from '../request/binding';
import type { TargetKind } from '../request/types';

export type PredictOp = 'predict' | 'explain';

/** A Vertex AI endpoint; `deployedModelId` picks the deployed model for explain. */
export interface VertexTarget {
  kind: 'vertex';
  /** projects/P/locations/R/endpoints/E */
  endpoint: string;
  deployedModelId?: string;
}

/** An AI Platform model (its default version) or one version. */
export interface AiPlatformTarget {
  kind: 'ai-platform';
  /** projects/P/models/M */
  model: string;
  /** The version's short name (V of projects/P/models/M/versions/V). */
  version?: string;
  /** "global" (default) or the regional endpoint the model was created on. */
  region?: string;
}

/** A model on a TF Serving server. */
export interface TfServingTarget {
  kind: 'tf-serving';
  /** The server's base URL, e.g. http://localhost:8501 (user:password@ allowed). */
  url: string;
  model: string;
  version?: string;
  label?: string;
}

/** A model on disk, run by the local runner. */
export interface LocalTarget {
  kind: 'local';
  modelPath: string;
}

export type PredictTarget = VertexTarget | AiPlatformTarget | TfServingTarget | LocalTarget;

// Every kind is a binding-file kind.
type Kinds = PredictTarget['kind'];
const _sameKinds: [Kinds] extends [TargetKind] ? ([TargetKind] extends [Kinds] ? true : never) : never = true;
void _sameKinds;

/** The AI Platform resource name of a target: projects/P/models/M[/versions/V]. */
export function aiPlatformName(t: AiPlatformTarget): string {
  return t.version ? `${t.model}/versions/${t.version}` : t.model;
}

/** `http://host:port/v1/models/NAME[/versions/N|/labels/L]` (a binding's tfServing) as a target. */
export function parseTfServingUrl(url: string): TfServingTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UsageError(`'${url}' is not a TF Serving URL (http://host:port/v1/models/NAME).`);
  }
  const m = /^(.*?)\/v1\/models\/([^/:]+)(?:\/versions\/(\d+)|\/labels\/([^/:]+))?\/?$/.exec(u.pathname);
  if (!m) throw new UsageError(`'${url}' does not name a model: expected http://host:port/v1/models/NAME[/versions/N|/labels/L].`);
  const base = `${u.protocol}//${u.username ? `${u.username}${u.password ? `:${u.password}` : ''}@` : ''}${u.host}${m[1]}`;
  const t: TfServingTarget = { kind: 'tf-serving', url: base, model: decodeURIComponent(m[2]!) };
  if (m[3]) t.version = m[3];
  if (m[4]) t.label = decodeURIComponent(m[4]);
  return t;
}

/** A binding's target as a PredictTarget (a local model path is resolved against `root`). */
export function targetFromBinding(target: BindingTarget, root = '.'): PredictTarget {
  if ('model' in target) return { kind: 'local', modelPath: resolve(root, target.model) };
  if ('endpoint' in target) {
    parseResourceName(target.endpoint, 'location', ['endpoints'], 'Vertex AI endpoint');
    return { kind: 'vertex', endpoint: target.endpoint };
  }
  if ('version' in target) {
    const parts = target.version.split('/');
    if (parts.length === 6) {
      parseResourceName(target.version, 'project', ['models', 'versions'], 'AI Platform version');
      return { kind: 'ai-platform', model: parts.slice(0, 4).join('/'), version: parts[5]! };
    }
    parseResourceName(target.version, 'project', ['models'], 'AI Platform model');
    return { kind: 'ai-platform', model: target.version };
  }
  return parseTfServingUrl(target.tfServing);
}

function withoutCredentials(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString().replace(/\/$/, '');
  } catch {
    return url;
  }
}

/** The target's full name (what the history stores; never a password). */
export function targetName(t: PredictTarget): string {
  switch (t.kind) {
    case 'vertex':
      return t.deployedModelId ? `${t.endpoint} (deployed model ${t.deployedModelId})` : t.endpoint;
    case 'ai-platform':
      return aiPlatformName(t);
    case 'tf-serving':
      return `${withoutCredentials(t.url)}/v1/models/${t.model}${t.version ? `/versions/${t.version}` : t.label ? `/labels/${t.label}` : ''}`;
    case 'local':
      return t.modelPath;
  }
}

/** A short label for lists: "Vertex AI endpoint E (us-central1)", "TF Serving half_plus_two v2". */
export function targetLabel(t: PredictTarget): string {
  switch (t.kind) {
    case 'vertex': {
      const p = t.endpoint.split('/');
      return `Vertex AI endpoint ${p[5]} (${p[3]})`;
    }
    case 'ai-platform':
      return `AI Platform ${t.model.split('/')[3]}${t.version ? ` ${t.version}` : ' (default version)'}`;
    case 'tf-serving':
      return `TF Serving ${t.model}${t.version ? ` v${t.version}` : t.label ? ` @${t.label}` : ''}`;
    case 'local':
      return `local ${t.modelPath.split(/[\\/]/).filter(Boolean).slice(-2).join('/')}`;
  }
}

/** Runs a local model: the local runner's entry point, injected by the caller. */
export type LocalPredict = (
  modelPath: string,
  body: PredictBody,
  op: PredictOp,
  opts: { signature?: string; method?: TfServingVerb; signal?: AbortSignal },
) => Promise<PredictCall>;

export interface SendDeps {
  /** The HTTP client for cloud targets (credentials, retries, log). */
  http?: HttpClient;
  /** The API endpoint override for Vertex AI and AI Platform (resolveApiEndpoint()). */
  apiEndpoint?: string;
  /** The local runner, for the 'local' kind. */
  local?: LocalPredict;
  /** Clients to use instead of ones built from `http` (tests, shared clients). */
  vertex?: VertexClient;
  aiPlatform?: (region: string) => AiPlatformClient;
  tfServing?: (url: string) => TfServingClient;
}

export interface SendOptions extends CallOptions {
  /**
   * The signature to run. Vertex AI's :predict always runs serving_default: another signature is
   * sent as :rawPredict with `signature_name` in the body. AI Platform and TF Serving get it as
   * `signature_name` (unless the body names one).
   */
  signature?: string;
  /** TF Serving's verb (verbForMethod() of the signature's method name); default predict. */
  method?: TfServingVerb;
}

/** What send() answers: the call, the op and the target it went to. */
export type SendResult = PredictCall & VertexServedBy & { op: PredictOp; target: PredictTarget };

function needHttp(deps: SendDeps): HttpClient {
  if (!deps.http) throw new UsageError('Sending to a cloud target needs an HttpClient (deps.http).');
  return deps.http;
}

function withSignature(body: PredictBody, signature: string | undefined, what: string): PredictBody {
  if (signature === undefined) return body;
  const obj = bodyObject(body, what);
  return obj.signature_name === undefined ? { ...obj, signature_name: signature } : body;
}

/** Sends a Predict or Explain to the target. Throws the clients' CloudApiErrors (see diagnose()). */
export async function send(target: PredictTarget, body: PredictBody, op: PredictOp, deps: SendDeps, opts: SendOptions = {}): Promise<SendResult> {
  const { signature, method, ...call } = opts;
  const done = (r: PredictCall & VertexServedBy): SendResult => ({ ...r, op, target });
  switch (target.kind) {
    case 'vertex': {
      const vertex = deps.vertex ?? new VertexClient({ http: needHttp(deps), ...(deps.apiEndpoint ? { apiEndpoint: deps.apiEndpoint } : {}) });
      if (op === 'explain') {
        if (signature !== undefined && signature !== 'serving_default') throw new UsageError(`Vertex AI explains the serving_default signature only (asked for ${signature}).`);
        return done(await vertex.explain(target.endpoint, body, target.deployedModelId, call));
      }
      if (signature === undefined || signature === 'serving_default') return done(await vertex.predict(target.endpoint, body, call));
      const raw = await vertex.rawPredict(target.endpoint, bodyText(withSignature(body, signature, 'Vertex AI rawPredict')), 'application/json', call);
      const headers = new Headers({ 'content-type': raw.contentType });
      const parsed = jsonCall({ bytes: raw.bytes, headers, status: raw.status, attempts: raw.attempts, latencyMs: raw.latencyMs, requestBytes: raw.requestBytes, url: raw.url }, 'vertex');
      return done(raw.deployedModelId ? { ...parsed, deployedModelId: raw.deployedModelId } : parsed);
    }
    case 'ai-platform': {
      const region = target.region ?? 'global';
      const client = deps.aiPlatform?.(region) ?? new AiPlatformClient({ http: needHttp(deps), region, ...(deps.apiEndpoint ? { apiEndpoint: deps.apiEndpoint } : {}) });
      const o = signature !== undefined ? { ...call, signatureName: signature } : call;
      return done(op === 'explain' ? await client.explain(aiPlatformName(target), body, o) : await client.predict(aiPlatformName(target), body, o));
    }
    case 'tf-serving': {
      if (op === 'explain') throw new UsageError('TF Serving has no Explain; explain on Vertex AI or with the local runner.');
      const client = deps.tfServing?.(target.url) ?? new TfServingClient({ http: needHttp(deps), baseUrl: target.url });
      const sel: ServableSelector = {};
      if (target.version !== undefined) sel.version = target.version;
      else if (target.label !== undefined) sel.label = target.label;
      return done(await client.call(method ?? 'predict', target.model, withSignature(body, signature, 'TF Serving'), sel, call));
    }
    case 'local': {
      if (!deps.local) throw new UsageError('Running a local model needs the local runner (deps.local).');
      const lo: { signature?: string; method?: TfServingVerb; signal?: AbortSignal } = {};
      if (signature !== undefined) lo.signature = signature;
      if (method !== undefined) lo.method = method;
      if (call.signal) lo.signal = call.signal;
      return done(await deps.local(target.modelPath, body, op, lo));
    }
  }
}
