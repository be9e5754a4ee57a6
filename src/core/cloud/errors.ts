/**
 * Typed errors of the cloud clients. All are `ServeLensError`s of kind 'cloud'; `reason` says what
 * went wrong and `hint` names the next step to take. Branch on the reason, never
 * on message text: `isCloudError(err, 'quota')`.
 *
 * API errors are read from the `google.rpc.Status` body Google's REST APIs send:
 *   {"error": {"code": 403, "message": "...", "status": "PERMISSION_DENIED",
 *              "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "SERVICE_DISABLED",
 *                           "domain": "googleapis.com", "metadata": {"service": "...", "activationUrl": "..."}},
 *                          {"@type": "type.googleapis.com/google.rpc.Help", "links": [{"description", "url"}]},
 *                          {"@type": "type.googleapis.com/google.rpc.BadRequest", "fieldViolations": [...]}, ...]}}
 * and from the `{"error": "text"}` bodies of AI Platform prediction and TF Serving.
 *
 * Every message and hint passes through `redact()`: no token or key ends up in them.
 */
import { ServeLensError } from '../errors';
import { redact } from './secrets';

/** Why signing in failed. */
export type CloudAuthReason =
  | 'no-credentials' // nothing to sign in with: no ADC, no key file, no gcloud
  | 'expired' // the credentials exist but need a new sign-in (revoked, reauth required)
  | 'gcloud-failed' // the gcloud CLI failed or timed out
  | 'invalid-key-file' // a key / credentials file cannot be read or is not one
  | 'auth-failed'; // any other failure to obtain a token (metadata server error, token endpoint)

/** Why an API call failed. */
export type CloudApiReason =
  | 'unauthenticated' // 401: the token was refused
  | 'permission-denied' // 403: the account lacks an IAM permission
  | 'api-not-enabled' // 403 SERVICE_DISABLED: the API is off in the project
  | 'billing-disabled' // 403 BILLING_DISABLED
  | 'not-found' // 404, or a project that does not exist
  | 'invalid-argument' // 400 INVALID_ARGUMENT / OUT_OF_RANGE
  | 'failed-precondition' // 400/412 FAILED_PRECONDITION
  | 'conflict' // 409 ALREADY_EXISTS / ABORTED
  | 'quota' // 429 RESOURCE_EXHAUSTED, rate limits
  | 'unavailable' // 502/503 UNAVAILABLE
  | 'internal' // 500 INTERNAL / UNKNOWN / DATA_LOSS
  | 'unimplemented' // 501
  | 'timeout' // no answer within the call's time-out (or 504 DEADLINE_EXCEEDED)
  | 'network' // no connection: refused, reset, DNS, TLS
  | 'bad-response' // an answer that is not what the API returns (not JSON, truncated, a redirect)
  | 'unknown'; // any other HTTP status

export type CloudErrorReason =
  | CloudAuthReason
  | CloudApiReason
  | 'cancelled' // the caller aborted (AbortSignal)
  | 'invalid-endpoint'; // an API endpoint override that ServeLens will not send tokens to

/** The service a call went to: decides the wording of messages and hints. */
export type CloudService = 'vertex' | 'aiplatform' | 'storage' | 'tfserving' | 'metadata';

export interface ServiceInfo {
  title: string;
  /** The API's service name, for `gcloud services enable`. */
  api?: string;
  /** The IAM role that grants read access, as the console names it and its id. */
  role?: { title: string; id: string };
}

export const SERVICES: Readonly<Record<CloudService, ServiceInfo>> = {
  vertex: { title: 'Vertex AI', api: 'aiplatform.googleapis.com', role: { title: 'Vertex AI User', id: 'roles/aiplatform.user' } },
  aiplatform: { title: 'AI Platform', api: 'ml.googleapis.com', role: { title: 'AI Platform Developer', id: 'roles/ml.developer' } },
  storage: { title: 'Cloud Storage', api: 'storage.googleapis.com', role: { title: 'Storage Object Viewer', id: 'roles/storage.objectViewer' } },
  tfserving: { title: 'TF Serving' },
  metadata: { title: 'the metadata server' },
};

/** Base of every cloud error. Also thrown as is for 'cancelled' and 'invalid-endpoint'. */
export class CloudError extends ServeLensError {
  readonly kind = 'cloud' as const;
  readonly reason: CloudErrorReason;

  constructor(reason: CloudErrorReason, message: string, hint?: string) {
    super(redact(message), hint === undefined ? undefined : redact(hint));
    this.reason = reason;
  }
}

/** `err` is a cloud error (with the given reason, when one is given). */
export function isCloudError<R extends CloudErrorReason>(err: unknown, reason?: R): err is CloudError & { reason: R } {
  return err instanceof CloudError && (reason === undefined || err.reason === reason);
}

/** Signing in failed: no credentials, expired ones, gcloud trouble, an unreadable key file. */
export class CloudAuthError extends CloudError {
  declare readonly reason: CloudAuthReason | 'cancelled';
  /** The credential source that failed ("adc", "gcloud", ...). */
  readonly source: string;

  constructor(reason: CloudAuthReason | 'cancelled', source: string, message: string, hint?: string) {
    super(reason, message, hint);
    this.source = source;
  }
}

export interface ErrorInfoDetail {
  reason: string;
  domain?: string;
  metadata: Record<string, string>;
}

export interface HelpLink {
  description?: string;
  url: string;
}

export interface FieldViolation {
  field: string;
  description: string;
}

/** What a call was, for messages and hints. */
export interface CallContext {
  service: CloudService;
  method: string;
  url: string;
  /** The project and location the call named (read from the URL when not given). */
  project?: string;
  location?: string;
  /** How the caller signed in: picks the sign-in command a 401 hint names. */
  credentialKind?: string;
  account?: string;
  /** Calls made, retries included. */
  attempts?: number;
  /** The per-call time-out, for the 'timeout' message. */
  timeoutMs?: number;
}

/** The parts of a `google.rpc.Status` (or a `{"error": "text"}` body) ServeLens reads. */
export interface RpcStatus {
  /** The HTTP status in REST error bodies; the google.rpc.Code number in operations and jobs. */
  code?: number;
  status?: string;
  message?: string;
  details?: unknown[];
}

/** google.rpc.Code numbers → names (operations and batch jobs carry the number only). */
export const RPC_CODES: readonly string[] = [
  'OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS',
  'PERMISSION_DENIED', 'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE',
  'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS', 'UNAUTHENTICATED',
];

/** The HTTP status Google maps each google.rpc.Code to. */
const RPC_HTTP: Record<string, number> = {
  CANCELLED: 499, UNKNOWN: 500, INVALID_ARGUMENT: 400, DEADLINE_EXCEEDED: 504, NOT_FOUND: 404, ALREADY_EXISTS: 409,
  PERMISSION_DENIED: 403, RESOURCE_EXHAUSTED: 429, FAILED_PRECONDITION: 400, ABORTED: 409, OUT_OF_RANGE: 400,
  UNIMPLEMENTED: 501, INTERNAL: 500, UNAVAILABLE: 503, DATA_LOSS: 500, UNAUTHENTICATED: 401,
};

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/**
 * Reads an error body: a `google.rpc.Status` wrapped in `{"error": {...}}` (or a one-element array
 * of those, as some Google front ends send), or `{"error": "text"}`. Undefined when the body is
 * neither (HTML from a proxy, empty).
 */
export function parseErrorBody(text: string): RpcStatus | undefined {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (Array.isArray(json) && json.length > 0) json = json[0];
  if (!isObject(json)) return undefined;
  const error = json.error;
  if (typeof error === 'string') return { message: error };
  if (!isObject(error)) return undefined;
  const out: RpcStatus = {};
  if (typeof error.code === 'number') out.code = error.code;
  const status = str(error.status);
  if (status) out.status = status;
  const message = str(error.message);
  if (message !== undefined) out.message = message;
  if (Array.isArray(error.details)) out.details = error.details;
  return out;
}

function detailType(d: unknown): string {
  const t = isObject(d) ? str(d['@type']) : undefined;
  return t ? t.slice(t.lastIndexOf('/') + 1) : '';
}

export function errorInfoOf(details: unknown[] | undefined): ErrorInfoDetail | undefined {
  for (const d of details ?? []) {
    if (detailType(d) !== 'google.rpc.ErrorInfo' || !isObject(d)) continue;
    const metadata: Record<string, string> = {};
    if (isObject(d.metadata)) for (const [k, v] of Object.entries(d.metadata)) if (typeof v === 'string') metadata[k] = v;
    const info: ErrorInfoDetail = { reason: str(d.reason) ?? '', metadata };
    const domain = str(d.domain);
    if (domain) info.domain = domain;
    return info;
  }
  return undefined;
}

export function helpLinksOf(details: unknown[] | undefined): HelpLink[] {
  const out: HelpLink[] = [];
  for (const d of details ?? []) {
    if (detailType(d) !== 'google.rpc.Help' || !isObject(d) || !Array.isArray(d.links)) continue;
    for (const l of d.links) {
      if (!isObject(l) || !str(l.url)) continue;
      const link: HelpLink = { url: str(l.url)! };
      const description = str(l.description);
      if (description) link.description = description;
      out.push(link);
    }
  }
  return out;
}

export function fieldViolationsOf(details: unknown[] | undefined): FieldViolation[] {
  const out: FieldViolation[] = [];
  for (const d of details ?? []) {
    if (detailType(d) !== 'google.rpc.BadRequest' || !isObject(d) || !Array.isArray(d.fieldViolations)) continue;
    for (const v of d.fieldViolations) {
      if (isObject(v)) out.push({ field: str(v.field) ?? '', description: str(v.description) ?? '' });
    }
  }
  return out;
}

/** Quota metric or subject named by QuotaFailure / ErrorInfo, if any. */
function quotaSubjectOf(details: unknown[] | undefined, info: ErrorInfoDetail | undefined): string | undefined {
  if (info?.metadata.quota_metric) return info.metadata.quota_metric;
  for (const d of details ?? []) {
    if (detailType(d) !== 'google.rpc.QuotaFailure' || !isObject(d) || !Array.isArray(d.violations)) continue;
    const v = d.violations.find(isObject);
    if (v) return str(v.subject) ?? str(v.description);
  }
  return undefined;
}

/** google.rpc.RetryInfo `retryDelay` ("1.5s") in milliseconds. */
export function retryDelayOf(details: unknown[] | undefined): number | undefined {
  for (const d of details ?? []) {
    if (detailType(d) !== 'google.rpc.RetryInfo' || !isObject(d)) continue;
    const m = /^(\d+(?:\.\d+)?)s$/.exec(str(d.retryDelay) ?? '');
    if (m) return Math.round(Number(m[1]) * 1000);
  }
  return undefined;
}

/** `projects/{p}` and `locations/{l}` named in a URL path or resource name. */
export function resourceScope(pathOrName: string): { project?: string; location?: string } {
  const out: { project?: string; location?: string } = {};
  const p = /(?:^|\/)projects\/([^/:?]+)/.exec(pathOrName);
  if (p) out.project = decodeURIComponent(p[1]!);
  const l = /(?:^|\/)locations\/([^/:?]+)/.exec(pathOrName);
  if (l) out.location = decodeURIComponent(l[1]!);
  return out;
}

function reasonOf(httpStatus: number | undefined, rpc: RpcStatus, info: ErrorInfoDetail | undefined): CloudApiReason {
  switch (info?.reason) {
    case 'SERVICE_DISABLED':
    case 'API_DISABLED':
      return 'api-not-enabled';
    case 'BILLING_DISABLED':
      return 'billing-disabled';
    case 'ACCESS_TOKEN_EXPIRED':
    case 'ACCESS_TOKEN_TYPE_UNSUPPORTED':
    case 'CREDENTIALS_MISSING':
      return 'unauthenticated';
    case 'RATE_LIMIT_EXCEEDED':
    case 'RESOURCE_QUOTA_EXCEEDED':
      return 'quota';
    case 'CONSUMER_INVALID':
    case 'RESOURCE_PROJECT_INVALID':
      return 'not-found';
    case 'IAM_PERMISSION_DENIED':
      return 'permission-denied';
  }
  if (httpStatus === 403 && /has not been used in project|it is disabled|API .* is not enabled/i.test(rpc.message ?? '')) return 'api-not-enabled';
  switch (rpc.status) {
    case 'UNAUTHENTICATED': return 'unauthenticated';
    case 'PERMISSION_DENIED': return 'permission-denied';
    case 'NOT_FOUND': return 'not-found';
    case 'INVALID_ARGUMENT':
    case 'OUT_OF_RANGE': return 'invalid-argument';
    case 'FAILED_PRECONDITION': return 'failed-precondition';
    case 'ALREADY_EXISTS':
    case 'ABORTED': return 'conflict';
    case 'RESOURCE_EXHAUSTED': return 'quota';
    case 'UNAVAILABLE': return 'unavailable';
    case 'DEADLINE_EXCEEDED': return 'timeout';
    case 'INTERNAL':
    case 'UNKNOWN':
    case 'DATA_LOSS': return 'internal';
    case 'UNIMPLEMENTED': return 'unimplemented';
  }
  switch (httpStatus) {
    case 400: return 'invalid-argument';
    case 401: return 'unauthenticated';
    case 403: return 'permission-denied';
    case 404: return 'not-found';
    case 409: return 'conflict';
    case 412: return 'failed-precondition';
    case 429: return 'quota';
    case 500: return 'internal';
    case 501: return 'unimplemented';
    case 502:
    case 503: return 'unavailable';
    case 504: return 'timeout';
  }
  return 'unknown';
}

/** The sign-in command for a credential kind (see auth.ts `CredentialKind`). */
export function signInHint(credentialKind: string | undefined): string {
  switch (credentialKind) {
    case 'gcloud':
      return 'Sign in again with `gcloud auth login`.';
    case 'service-account-key':
      return 'The service-account key was refused: check that the key and the account are still enabled, or create a new key.';
    case 'env-token':
      return 'SERVELENS_ACCESS_TOKEN holds a token that was refused (tokens last about an hour); set it to a fresh one from `gcloud auth print-access-token`.';
    case 'metadata-server':
      return "The metadata server's token for this machine's service account was refused; check the VM's service account and access scopes.";
    default:
      return 'Sign in again with `gcloud auth application-default login` (or `gcloud auth login` when ServeLens uses the gcloud CLI).';
  }
}

function hintFor(reason: CloudApiReason, e: CloudApiError, ctx: CallContext): string | undefined {
  const svc = SERVICES[ctx.service];
  const project = e.project ?? '<project>';
  const more = e.helpLinks[0] ? ` More: ${e.helpLinks[0].url}` : '';
  switch (reason) {
    case 'unauthenticated':
      return signInHint(ctx.credentialKind);
    case 'permission-denied': {
      if (ctx.service === 'tfserving') return 'The server refused the request; check its access rules.';
      const who = ctx.account ? `The account ${ctx.account}` : 'The signed-in account';
      const perm = e.errorInfo?.metadata.permission ? ` the permission ${e.errorInfo.metadata.permission}` : ' permission';
      const role = svc.role ? ` Ask a project owner for the role ${svc.role.title} (${svc.role.id})${ctx.service === 'storage' ? ' on the bucket' : ` on project ${project}`}.` : '';
      return `${who} lacks${perm} here.${role}${more}`;
    }
    case 'api-not-enabled': {
      const api = e.errorInfo?.metadata.service ?? svc.api ?? 'the API';
      const consumer = e.errorInfo?.metadata.consumer;
      const p = consumer?.startsWith('projects/') ? consumer.slice('projects/'.length) : project;
      const url = e.errorInfo?.metadata.activationUrl ?? e.helpLinks.find((l) => /apis\/(api|library)/.test(l.url))?.url;
      return `Enable the API: \`gcloud services enable ${api} --project ${p}\`${url ? `, or open ${url}` : ''}; it can take a few minutes to apply.`;
    }
    case 'billing-disabled':
      return `Enable billing for project ${project}: https://console.cloud.google.com/billing/linkedaccount?project=${encodeURIComponent(project)}`;
    case 'not-found':
      if (ctx.service === 'tfserving') return 'Check the model name and version: the server does not serve it.';
      if (ctx.service === 'storage') return 'Check the gs:// path and that the object still exists.';
      return `Check the project (${project})${e.location ? ` and the region (${e.location})` : ''}: the resource is not there${e.location ? '; list other regions to find it' : ''}.`;
    case 'invalid-argument':
    case 'failed-precondition': {
      const fields = e.fieldViolations.map((v) => `${v.field}: ${v.description}`).join('; ');
      if (fields) return `Fix the request: ${fields}.${more}`;
      return more ? more.trim() : undefined;
    }
    case 'conflict':
      return 'The resource already exists or changed meanwhile; refresh and try again.';
    case 'quota': {
      const subject = quotaSubjectOf(e.details, e.errorInfo);
      return `Quota or rate limit reached${subject ? ` (${subject})` : ''}${e.attempts > 1 ? `, still after ${e.attempts} attempts` : ''}: wait a minute and retry, or ask for more quota in the Cloud Console (IAM & Admin → Quotas) for project ${project}.`;
    }
    case 'unavailable':
    case 'internal':
      return `The service failed to answer${e.attempts > 1 ? ` ${e.attempts} times` : ''}; try again in a minute (https://status.cloud.google.com lists outages).`;
    case 'timeout':
      return 'Check the network connection, or try again with a longer time-out.';
    case 'unimplemented':
      return ctx.service === 'tfserving' ? 'This TF Serving version does not offer the call.' : 'The API does not offer this call at this endpoint; check the API endpoint override.';
    case 'bad-response':
      return 'The answer was cut short or is not what the API sends; try again, and check any proxy or API endpoint override in between.';
    default:
      return more ? more.trim() : undefined;
  }
}

function pathOf(url: string): string {
  try {
    const u = new URL(url);
    return `${u.host}${u.pathname}`;
  } catch {
    return url;
  }
}

export interface CloudApiErrorInit {
  reason?: CloudApiReason;
  httpStatus?: number;
  rpc?: RpcStatus;
  /** A network error code (ECONNRESET, ...) or what was wrong with the answer. */
  cause?: string;
  retryAfterMs?: number;
}

/** An API call failed. Carries the HTTP status, the RPC status and the details the server sent. */
export class CloudApiError extends CloudError {
  declare readonly reason: CloudApiReason;
  readonly service: CloudService;
  readonly method: string;
  /** The URL called, query included (never holds a credential). */
  readonly url: string;
  readonly httpStatus?: number;
  /** google.rpc status name: "PERMISSION_DENIED". */
  readonly status?: string;
  /** The server's own message, when it sent one. */
  readonly serverMessage?: string;
  readonly details: unknown[];
  readonly errorInfo?: ErrorInfoDetail;
  readonly helpLinks: HelpLink[];
  readonly fieldViolations: FieldViolation[];
  readonly project?: string;
  readonly location?: string;
  /** Retry-After / RetryInfo, when the server asked for a pause. */
  readonly retryAfterMs?: number;
  /** Calls made, retries included. */
  readonly attempts: number;
  /** The network error code for 'network' errors. */
  readonly code?: string;

  constructor(ctx: CallContext, init: CloudApiErrorInit) {
    const rpc = init.rpc ?? {};
    const info = errorInfoOf(rpc.details);
    const status = rpc.status ?? (rpc.code !== undefined && init.httpStatus === undefined ? RPC_CODES[rpc.code] : undefined);
    const httpStatus = init.httpStatus ?? (status ? RPC_HTTP[status] : undefined);
    const reason = init.reason ?? reasonOf(httpStatus, { ...rpc, status }, info);
    const svc = SERVICES[ctx.service];
    const attempts = ctx.attempts ?? 1;
    const what = `${svc.title}: ${ctx.method} ${pathOf(ctx.url)}`;
    let text: string;
    if (reason === 'network') text = `${what} could not connect${init.cause ? ` (${init.cause})` : ''}`;
    else if (reason === 'timeout' && httpStatus === undefined) text = `${what} got no answer within ${Math.round((ctx.timeoutMs ?? 0) / 100) / 10} s`;
    else if (reason === 'bad-response' && init.cause) text = `${what}: ${init.cause}`;
    else {
      const head = [httpStatus, status].filter((x) => x !== undefined).join(' ');
      text = `${what} failed${head ? `: ${head}` : ''}${rpc.message ? `: ${rpc.message.trim().replace(/\.+$/, '')}` : ''}`;
    }
    if (attempts > 1) text += ` (after ${attempts} attempts)`;
    super(reason, `${text}.`);
    const scope = resourceScope(ctx.url.replace(/^[a-z]+:\/\/[^/]*/i, ''));
    this.service = ctx.service;
    this.method = ctx.method;
    this.url = redact(ctx.url);
    if (httpStatus !== undefined) this.httpStatus = httpStatus;
    if (status) this.status = status;
    if (rpc.message !== undefined) this.serverMessage = redact(rpc.message);
    this.details = rpc.details ?? [];
    if (info) this.errorInfo = info;
    this.helpLinks = helpLinksOf(rpc.details);
    this.fieldViolations = fieldViolationsOf(rpc.details);
    const project = ctx.project ?? scope.project;
    if (project) this.project = project;
    const location = ctx.location ?? scope.location;
    if (location) this.location = location;
    const retryAfter = init.retryAfterMs ?? retryDelayOf(rpc.details);
    if (retryAfter !== undefined) this.retryAfterMs = retryAfter;
    this.attempts = attempts;
    if (init.cause && reason === 'network') this.code = init.cause;
    const hint = reason === 'network' ? networkHint(ctx) : hintFor(reason, this, ctx);
    if (hint) (this as { hint?: string }).hint = redact(hint);
  }
}

function networkHint(ctx: CallContext): string {
  let host = ctx.url;
  try {
    host = new URL(ctx.url).host;
  } catch {
    // keep the URL
  }
  if (ctx.service === 'tfserving') return `Check that TF Serving runs at ${host} and serves REST (its --rest_api_port).`;
  return `Check the network connection and proxy, and any API endpoint override (${host} was called).`;
}

/**
 * A `google.rpc.Status` found inside a resource (a failed operation or batch job: its `code` is the
 * google.rpc.Code number) as an error.
 */
export function errorFromStatus(status: RpcStatus, ctx: CallContext): CloudApiError {
  return new CloudApiError(ctx, { rpc: status });
}
