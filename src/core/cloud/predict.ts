/**
 * What the prediction calls share (Vertex AI `:predict|:explain|:rawPredict`, AI Platform
 * `:predict|:explain`, TF Serving `:predict|:classify|:regress`): one POST through HttpClient, and
 * an answer that keeps the exact body text (for a raw JSON view and the call history) beside the
 * parsed JSON, with latency and sizes.
 *
 * Retries: a prediction is not idempotent (a model may count, log or bill it), so only 429 and 503
 * are retried — the server says it did not process the request — with back-off and `Retry-After`.
 * 400 and other 4xx, 500, resets and time-outs are never retried. Each call takes a per-attempt
 * time-out and an AbortSignal.
 */
import { CloudApiError, type CloudService } from './errors';
import { MAX_JSON_BYTES, readBody, type CallOptions, type HttpClient, type RequestSpec } from './http';

/** Statuses a prediction is sent again for (and only these). */
export const PREDICT_RETRY_STATUSES: readonly number[] = [429, 503];

/** A request body: an object (sent as JSON) or the exact JSON text of a request file. */
export type PredictBody = string | Record<string, unknown>;

/** The answer of a JSON prediction call. */
export interface PredictCall<T = Record<string, unknown>> {
  /** The response body exactly as the server sent it (UTF-8). */
  text: string;
  /** The parsed body. */
  json: T;
  /** From sending the first attempt to the last byte of the answer (retry pauses included). */
  latencyMs: number;
  /** Bytes of the request body sent. */
  requestBytes: number;
  /** Bytes of the response body. */
  responseBytes: number;
  /** The HTTP status (2xx). */
  status: number;
  /** Attempts made (more than 1 after a 429 / 503). */
  attempts: number;
  /** The URL called (never holds a credential). */
  url: string;
  contentType?: string;
}

/** Which deployed model of a Vertex AI endpoint answered. */
export interface VertexServedBy {
  deployedModelId?: string;
  /** projects/P/locations/L/models/M */
  model?: string;
  modelVersionId?: string;
  modelDisplayName?: string;
}

export type VertexPredictCall<T = Record<string, unknown>> = PredictCall<T> & VertexServedBy;

/** The answer of `:rawPredict`: any content type, as bytes. */
export interface RawPredictCall extends VertexServedBy {
  bytes: Buffer;
  contentType: string;
  latencyMs: number;
  requestBytes: number;
  responseBytes: number;
  status: number;
  attempts: number;
  url: string;
}

export interface PostSpec {
  url: string;
  service: CloudService;
  body: string | Uint8Array;
  contentType: string;
  auth?: boolean;
  headers?: Record<string, string>;
}

export interface RawAnswer {
  bytes: Buffer;
  headers: Headers;
  status: number;
  attempts: number;
  latencyMs: number;
  requestBytes: number;
  url: string;
}

/** The request body's text: an object as compact JSON, a string as is. */
export function bodyText(body: PredictBody): string {
  return typeof body === 'string' ? body : JSON.stringify(body);
}

/** The body as an object (a string is parsed), for adding a field such as `deployedModelId`. */
export function bodyObject(body: PredictBody, what: string): Record<string, unknown> {
  if (typeof body !== 'string') return body;
  let v: unknown;
  try {
    v = JSON.parse(body);
  } catch (err) {
    throw new TypeError(`${what}: the request body is not JSON (${(err as Error).message}).`);
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new TypeError(`${what}: the request body must be a JSON object.`);
  return v as Record<string, unknown>;
}

/** One prediction POST: retried on 429/503 only; the answer's bytes and timing. */
export async function postPrediction(http: HttpClient, spec: PostSpec, opts: CallOptions = {}): Promise<RawAnswer> {
  const req: RequestSpec = {
    method: 'POST',
    url: spec.url,
    service: spec.service,
    body: spec.body,
    headers: { 'content-type': spec.contentType, ...spec.headers },
    idempotent: false,
    retryStatuses: PREDICT_RETRY_STATUSES,
    ...opts,
  };
  if (spec.auth === false) req.auth = false;
  const requestBytes = typeof spec.body === 'string' ? Buffer.byteLength(spec.body) : spec.body.byteLength;
  const t0 = performance.now();
  const got = await http.request(req, async (res) => ({
    bytes: await readBody(res.body, MAX_JSON_BYTES),
    headers: res.headers,
    status: res.status,
    attempts: res.attempts,
  }));
  return { ...got, latencyMs: Math.round((performance.now() - t0) * 10) / 10, requestBytes, url: spec.url };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A JSON answer as a PredictCall; a body that is not a JSON object is a 'bad-response' error. */
export function jsonCall<T = Record<string, unknown>>(a: RawAnswer, service: CloudService): PredictCall<T> {
  const text = a.bytes.toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (!isObject(json)) {
    const type = a.headers.get('content-type');
    throw new CloudApiError(
      { service, method: 'POST', url: a.url, attempts: a.attempts },
      { reason: 'bad-response', httpStatus: a.status, cause: `the answer is not a JSON object (${a.bytes.length} bytes${type ? `, ${type}` : ''})` },
    );
  }
  const out: PredictCall<T> = {
    text,
    json: json as T,
    latencyMs: a.latencyMs,
    requestBytes: a.requestBytes,
    responseBytes: a.bytes.length,
    status: a.status,
    attempts: a.attempts,
    url: a.url,
  };
  const type = a.headers.get('content-type');
  if (type) out.contentType = type;
  return out;
}

/**
 * `{"error": "..."}` in a 2xx answer (AI Platform reports prediction failures so, and a proxy in
 * front of TF Serving may too) as the typed error the same text would be with a 400.
 */
export function errorInBody(call: PredictCall, service: CloudService): CloudApiError | undefined {
  const e = call.json.error;
  if (typeof e !== 'string' && !isObject(e)) return undefined;
  const message = typeof e === 'string' ? e : typeof e.message === 'string' ? e.message : JSON.stringify(e);
  return new CloudApiError(
    { service, method: 'POST', url: call.url, attempts: call.attempts },
    { reason: 'invalid-argument', rpc: { message } },
  );
}
