/**
 * "Copy as curl" and "Copy as gcloud" for a target and a request file: the same call, to paste in
 * a terminal. The access token is never written: `$(gcloud auth print-access-token)` stands in for
 * it; a TF Serving password in the URL becomes `-u USER` (curl asks for it).
 *
 *   curlCommand({ kind: 'vertex', endpoint }, { requestFile: 'req.json', op: 'predict' })
 *   gcloudCommand(...)   // gcloud ai endpoints predict|explain|raw-predict, gcloud ai-platform predict|explain
 *
 * gcloud's --json-request takes the whole body, {"instances": [...]} — the request file as is.
 */
import { aiPlatformHost, vertexHost } from '../cloud/regions';
import type { TfServingVerb } from '../cloud/tfserving';
import type { PredictOp, PredictTarget } from './target';

export interface CommandOptions {
  /** The request file as it should appear in the command (relative or absolute). */
  requestFile: string;
  op: PredictOp;
  /** The API endpoint override in use (Vertex AI / AI Platform). */
  apiEndpoint?: string;
  /** A signature other than serving_default: Vertex AI then goes through :rawPredict. */
  signature?: string;
  /** TF Serving's verb (default predict). */
  method?: TfServingVerb;
}

/** The token placeholder: a command substitution, never a real token. */
export const TOKEN_PLACEHOLDER = '$(gcloud auth print-access-token)';

/** A POSIX shell word: as is when safe, else single-quoted. */
export function shellQuote(s: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

const join = (parts: string[]) => parts.join(' \\\n  ');

function vertexUsesRaw(t: PredictTarget, o: CommandOptions): boolean {
  return t.kind === 'vertex' && o.op === 'predict' && o.signature !== undefined && o.signature !== 'serving_default';
}

/** The URL the call goes to (without credentials). */
export function requestUrl(t: PredictTarget, o: CommandOptions): string | undefined {
  switch (t.kind) {
    case 'vertex': {
      const region = t.endpoint.split('/')[3]!;
      const verb = o.op === 'explain' ? 'explain' : vertexUsesRaw(t, o) ? 'rawPredict' : 'predict';
      return `${o.apiEndpoint?.replace(/\/+$/, '') ?? vertexHost(region)}/v1/${t.endpoint}:${verb}`;
    }
    case 'ai-platform': {
      const name = t.version ? `${t.model}/versions/${t.version}` : t.model;
      return `${o.apiEndpoint?.replace(/\/+$/, '') ?? aiPlatformHost(t.region)}/v1/${name}:${o.op}`;
    }
    case 'tf-serving': {
      const u = new URL(t.url);
      u.username = '';
      u.password = '';
      const sel = t.version ? `/versions/${t.version}` : t.label ? `/labels/${t.label}` : '';
      return `${u.toString().replace(/\/+$/, '')}/v1/models/${encodeURIComponent(t.model)}${sel}:${o.method ?? 'predict'}`;
    }
    case 'local':
      return undefined;
  }
}

/**
 * The call as `curl`. Vertex AI and AI Platform carry the token placeholder; TF Serving carries no
 * Google token. A local target has no HTTP call: the `servelens predict` command line instead.
 */
export function curlCommand(t: PredictTarget, o: CommandOptions): string {
  if (t.kind === 'local') return cliCommand(t, o);
  const url = requestUrl(t, o)!;
  const parts = ['curl -X POST'];
  if (t.kind === 'tf-serving') {
    const user = new URL(t.url).username;
    if (user) parts.push(`-u ${shellQuote(decodeURIComponent(user))}`);
    parts.push('-H "Content-Type: application/json"');
  } else {
    parts.push(`-H "Authorization: Bearer ${TOKEN_PLACEHOLDER}"`);
    parts.push('-H "Content-Type: application/json; charset=utf-8"');
  }
  // The file's exact bytes (--data-binary keeps newlines). Through :rawPredict the body goes to the
  // model server as is, so the file must name its "signature_name" itself.
  parts.push(`--data-binary @${shellQuote(o.requestFile)}`);
  parts.push(shellQuote(url));
  return join(parts);
}

/** The call as a gcloud command; undefined for TF Serving (no gcloud command calls it). */
export function gcloudCommand(t: PredictTarget, o: CommandOptions): string | undefined {
  const file = shellQuote(o.requestFile);
  switch (t.kind) {
    case 'vertex': {
      const [, project, , region, , id] = t.endpoint.split('/');
      const env = o.apiEndpoint ? `CLOUDSDK_API_ENDPOINT_OVERRIDES_AIPLATFORM=${shellQuote(`${o.apiEndpoint.replace(/\/+$/, '')}/`)} ` : '';
      if (o.op === 'explain') {
        return join([`${env}gcloud ai endpoints explain ${id}`, `--project=${project}`, `--region=${region}`, `--json-request=${file}`, ...(t.deployedModelId ? [`--deployed-model-id=${t.deployedModelId}`] : [])]);
      }
      if (vertexUsesRaw(t, o)) {
        return join([`${env}gcloud ai endpoints raw-predict ${id}`, `--project=${project}`, `--region=${region}`, `--request=@${file}`, '--http-headers=Content-Type=application/json']);
      }
      return join([`${env}gcloud ai endpoints predict ${id}`, `--project=${project}`, `--region=${region}`, `--json-request=${file}`]);
    }
    case 'ai-platform': {
      const [, project, , model] = t.model.split('/');
      const env = o.apiEndpoint ? `CLOUDSDK_API_ENDPOINT_OVERRIDES_ML=${shellQuote(`${o.apiEndpoint.replace(/\/+$/, '')}/`)} ` : '';
      const parts = [`${env}gcloud ai-platform ${o.op} --model=${model}`];
      if (t.version) parts.push(`--version=${t.version}`);
      parts.push(`--project=${project}`);
      if (t.region && t.region !== 'global') parts.push(`--region=${t.region}`);
      if (o.signature && o.op === 'predict') parts.push(`--signature-name=${shellQuote(o.signature)}`);
      parts.push(`--json-request=${file}`);
      return join(parts);
    }
    case 'tf-serving':
      return undefined;
    case 'local':
      return cliCommand(t, o);
  }
}

/** The same call as a `servelens` command line. */
export function cliCommand(t: PredictTarget, o: CommandOptions): string {
  const parts = [`servelens ${o.op} ${shellQuote(o.requestFile)}`];
  switch (t.kind) {
    case 'vertex':
      parts.push(`--endpoint ${t.endpoint}`);
      if (t.deployedModelId) parts.push(`--deployed-model ${t.deployedModelId}`);
      break;
    case 'ai-platform':
      parts.push(`--version ${t.version ? `${t.model}/versions/${t.version}` : t.model}`);
      break;
    case 'tf-serving': {
      const u = new URL(t.url);
      u.username = '';
      u.password = '';
      parts.push(`--tf-serving ${shellQuote(`${u.toString().replace(/\/+$/, '')}/v1/models/${t.model}${t.version ? `/versions/${t.version}` : t.label ? `/labels/${t.label}` : ''}`)}`);
      break;
    }
    case 'local':
      parts.push(`--model ${shellQuote(t.modelPath)}`);
      break;
  }
  if (o.signature) parts.push(`--signature ${shellQuote(o.signature)}`);
  if (o.apiEndpoint && (t.kind === 'vertex' || t.kind === 'ai-platform')) parts.push(`--api-endpoint ${shellQuote(o.apiEndpoint)}`);
  return parts.join(' ');
}
