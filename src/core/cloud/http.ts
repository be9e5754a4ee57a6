/**
 * The one HTTP path of the cloud clients, over Node's global `fetch` with AbortSignal:
 *  - a time-out per attempt (`timeoutMs`), cancellation by the caller's signal at any point
 *    (waiting for a token, the answer, the body, or a back-off pause);
 *  - retries with exponential back-off and full jitter (delay = random × min(max, initial × 2^n))
 *    for 429/500/502/503/504, connection resets, time-outs and cut-off bodies — only on idempotent
 *    calls (GET, and POSTs the caller marks `idempotent`); a POST that is not idempotent (a
 *    prediction) may name `retryStatuses` (429, 503) retried alone; `Retry-After` (seconds or an HTTP date)
 *    and google.rpc.RetryInfo are honoured; a budget of attempts and of total time bounds it all;
 *  - never a retry for 4xx input errors (400/401/403/404/409/...); a 401 makes the credential
 *    source forget its token and the call is sent once more with a fresh one (a refused token
 *    means the request was not processed, so this is safe for any method);
 *  - errors typed from the `google.rpc.Status` body (errors.ts), tokens kept out of them and of
 *    the log lines (secrets.ts).
 * A `Transport` does the sending, so tests and the editor can substitute it.
 */
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import type { CredentialSource } from './auth';
import { CloudApiError, CloudError, parseErrorBody, type CallContext, type CloudService } from './errors';
import { redact } from './secrets';
import { userAgent } from './version';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface TransportRequest {
  method: HttpMethod;
  url: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
  signal: AbortSignal;
}

export interface TransportResponse {
  status: number;
  headers: Headers;
  /** The body as chunks; reading it may throw (a reset mid-body) or stop early (the signal). */
  body: AsyncIterable<Uint8Array> | null;
}

/** Sends one request. Rejects on network failures; any HTTP status resolves. */
export interface Transport {
  send(req: TransportRequest): Promise<TransportResponse>;
}

/** The default transport: Node's fetch (undici). Redirects are not followed (they would carry the token). */
export const fetchTransport: Transport = {
  async send(req) {
    const res = await fetch(req.url, {
      method: req.method,
      headers: req.headers,
      body: req.body,
      signal: req.signal,
      redirect: 'manual',
    });
    return { status: res.status, headers: res.headers, body: res.body as AsyncIterable<Uint8Array> | null };
  },
};

export interface RetryPolicy {
  /** Attempts in all, the first included (1 = no retries). */
  maxAttempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
  multiplier: number;
  /** No retry starts once this much time has passed since the call began (pauses included). */
  totalTimeoutMs: number;
}

export const DEFAULT_RETRY: Readonly<RetryPolicy> = {
  maxAttempts: 5,
  initialDelayMs: 500,
  maxDelayMs: 16_000,
  multiplier: 2,
  totalTimeoutMs: 60_000,
};

/** HTTP statuses retried on idempotent calls. */
export const RETRYABLE_STATUS: ReadonlySet<number> = new Set([429, 500, 502, 503, 504]);

/** Network error codes that mean the connection broke (retried on idempotent calls). */
const RESET_CODES = new Set([
  'ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ETIMEDOUT', 'EAI_AGAIN', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CLOSED', 'TERMINATED',
]);

export interface HttpClientOptions {
  transport?: Transport;
  /** Where tokens come from; calls made with `auth: false` (TF Serving) never ask it. */
  credentials?: CredentialSource;
  /** Per-attempt time-out in milliseconds (default 30 s). */
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  /** Default `servelens/<version>`. */
  userAgent?: string;
  /** Debug lines ("cloud: GET ... → 200 in 84 ms"); redacted, never a token. */
  log?: (line: string) => void;
  /** For tests: a random number in [0, 1) for the jitter, and the pause. */
  random?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export interface CallOptions {
  signal?: AbortSignal;
  /** Per-attempt time-out for this call. */
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
}

export interface RequestSpec extends CallOptions {
  method: HttpMethod;
  url: string;
  service: CloudService;
  query?: Record<string, string | number | boolean | undefined>;
  /** A JSON body. */
  json?: unknown;
  /** A body sent byte for byte instead of `json` (give its content type in `headers`). */
  body?: string | Uint8Array;
  /**
   * Statuses retried although the call is not idempotent: ones that say the server did not process
   * the request (429, 503 for predictions). Resets, time-outs and other statuses are still not retried.
   */
  retryStatuses?: readonly number[];
  /** Retry this POST/PATCH/DELETE like a GET: the caller knows repeating it is harmless. */
  idempotent?: boolean;
  /** Send the Google access token (default true). False for TF Serving and other non-Google hosts. */
  auth?: boolean;
  headers?: Record<string, string>;
}

/** The most bytes of a JSON answer read (list pages are far smaller). */
export const MAX_JSON_BYTES = 64 * 1024 * 1024;
/** The most bytes of an error body read; the rest is ignored. */
const MAX_ERROR_BYTES = 256 * 1024;

/** A failure inside `read()` of a successful answer that a retry may cure. */
class BodyError extends Error {
  constructor(
    readonly inner: unknown,
    readonly badResponse?: string,
  ) {
    super('body');
  }
}

/** Reads a body up to `max` bytes; past `max` either stops (`truncate`) or throws. */
export async function readBody(body: AsyncIterable<Uint8Array> | null, max: number, truncate = false): Promise<Buffer> {
  if (!body) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const room = max - size;
    if (chunk.byteLength > room) {
      if (truncate) {
        if (room > 0) chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, room));
        size = max;
        break;
      }
      throw new BodyError(undefined, `the answer is larger than ${max} bytes`);
    }
    chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    size += chunk.byteLength;
  }
  return Buffer.concat(chunks, size);
}

/** `Retry-After` as milliseconds: delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const date = Date.parse(v);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** The first error code in the cause chain (undici wraps socket errors: TypeError → cause → code). */
function errorCode(err: unknown, depth = 0): string | undefined {
  if (!err || depth > 5) return undefined;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  if (err instanceof Error && err.message === 'terminated') return 'TERMINATED';
  for (const inner of (err as { errors?: unknown[] }).errors ?? []) {
    const c = errorCode(inner, depth + 1);
    if (c) return c;
  }
  return errorCode((err as { cause?: unknown }).cause, depth + 1);
}

/** The innermost cause's message ("bad port" rather than fetch's "fetch failed"). */
function deepestMessage(err: unknown): string {
  let e = err;
  for (let depth = 0; depth < 5 && e instanceof Error && e.cause instanceof Error; depth++) e = e.cause;
  return e instanceof Error ? e.message : String(e);
}

export const defaultSleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

function withQuery(url: string, query: RequestSpec['query']): string {
  if (!query) return url;
  const u = new URL(url);
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') u.searchParams.set(k, String(v));
  return u.toString();
}

/** The answer a `read` callback gets. */
export interface ResponseInfo {
  status: number;
  headers: Headers;
  body: AsyncIterable<Uint8Array> | null;
  signal: AbortSignal;
  /** Attempts made so far, this one included. */
  attempts: number;
}

/** An HTTP client for Google's REST APIs and TF Serving. One per settings change; cheap to make. */
export class HttpClient {
  readonly transport: Transport;
  readonly credentials?: CredentialSource;
  readonly timeoutMs: number;
  readonly retry: Readonly<RetryPolicy>;
  readonly userAgent: string;
  readonly #log?: (line: string) => void;
  readonly #random: () => number;
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;

  constructor(opts: HttpClientOptions = {}) {
    this.transport = opts.transport ?? fetchTransport;
    if (opts.credentials) this.credentials = opts.credentials;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.retry = { ...DEFAULT_RETRY, ...opts.retry };
    this.userAgent = opts.userAgent ?? userAgent();
    if (opts.log) this.#log = opts.log;
    this.#random = opts.random ?? Math.random;
    this.#sleep = opts.sleep ?? defaultSleep;
  }

  /** Calls and parses a JSON answer (an empty body reads as `{}`). */
  async json<T>(spec: RequestSpec): Promise<T> {
    return this.request(spec, async (res) => {
      const buf = await readBody(res.body, MAX_JSON_BYTES);
      if (buf.length === 0) return {} as T;
      try {
        return JSON.parse(buf.toString('utf8')) as T;
      } catch {
        throw new BodyError(undefined, `the answer is not JSON (${buf.length} bytes${res.headers.get('content-type') ? `, ${res.headers.get('content-type')}` : ''})`);
      }
    });
  }

  /** Calls and returns the body bytes (at most `maxBytes`). */
  async bytes(spec: RequestSpec, maxBytes: number): Promise<Buffer> {
    return this.request(spec, (res) => readBody(res.body, maxBytes));
  }

  /**
   * Streams the body into `file` (through `file.part`, renamed when complete), at most `maxBytes`.
   * A reset mid-way starts over. Returns the bytes written.
   */
  async download(spec: RequestSpec, file: string, maxBytes: number): Promise<number> {
    const part = `${file}.part`;
    try {
      const size = await this.request(spec, async (res) => {
        const out = createWriteStream(part);
        let written = 0;
        try {
          if (res.body) {
            for await (const chunk of res.body) {
              written += chunk.byteLength;
              if (written > maxBytes) throw new BodyError(undefined, `the object is larger than ${maxBytes} bytes`);
              if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
            }
          }
        } finally {
          await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
        }
        return written;
      });
      await rename(part, file);
      return size;
    } catch (err) {
      await rm(part, { force: true });
      throw err;
    }
  }

  /**
   * The retry loop. `read` consumes a 2xx answer; a network failure or a BodyError inside it is
   * treated like a failed attempt (retried when the call is idempotent).
   */
  async request<T>(spec: RequestSpec, read: (res: ResponseInfo) => Promise<T>): Promise<T> {
    const policy: RetryPolicy = { ...this.retry, ...spec.retry };
    const timeoutMs = spec.timeoutMs ?? this.timeoutMs;
    const idempotent = spec.idempotent ?? spec.method === 'GET';
    const url = withQuery(spec.url, spec.query);
    const outer = spec.signal;
    const started = Date.now();
    let attempts = 0;
    let refreshed = false;
    const ctx = (): CallContext => {
      const c: CallContext = { service: spec.service, method: spec.method, url, attempts, timeoutMs };
      const info = this.credentials?.describe();
      if (info && spec.auth !== false) {
        c.credentialKind = info.kind;
        if (info.account) c.account = info.account;
      }
      return c;
    };
    const cancelled = () => new CloudError('cancelled', `${spec.method} ${redact(url)} was cancelled.`);

    for (;;) {
      if (outer?.aborted) throw cancelled();
      attempts++;
      const timer = new AbortController();
      const timeout = setTimeout(() => timer.abort(new Error('timeout')), timeoutMs);
      const signal = outer ? AbortSignal.any([outer, timer.signal]) : timer.signal;
      const t0 = Date.now();
      let failure: CloudApiError;
      try {
        const headers: Record<string, string> = { 'user-agent': this.userAgent, accept: 'application/json', ...spec.headers };
        if (spec.auth !== false && this.credentials) {
          const token = await this.credentials.getAccessToken(signal);
          headers.authorization = `Bearer ${token.token}`;
          if (token.quotaProject) headers['x-goog-user-project'] = token.quotaProject;
        }
        let body: string | Uint8Array | undefined;
        if (spec.body !== undefined) body = spec.body;
        else if (spec.json !== undefined) {
          body = JSON.stringify(spec.json);
          headers['content-type'] = 'application/json; charset=utf-8';
        }
        const req: TransportRequest = { method: spec.method, url, headers, signal };
        if (body !== undefined) req.body = body;
        const res = await this.transport.send(req);
        this.#log?.(redact(`cloud: ${spec.method} ${url} → ${res.status} in ${Date.now() - t0} ms${attempts > 1 ? ` (attempt ${attempts})` : ''}`));
        if (res.status >= 200 && res.status < 300) {
          const value = await read({ status: res.status, headers: res.headers, body: res.body, signal, attempts });
          return value;
        }
        if (res.status >= 300 && res.status < 400) {
          throw new CloudApiError(ctx(), { reason: 'bad-response', httpStatus: res.status, cause: `an unexpected redirect (${res.status}) to ${res.headers.get('location') ?? 'nowhere'}` });
        } else {
          const text = (await readBody(res.body, MAX_ERROR_BYTES, true).catch(() => Buffer.alloc(0))).toString('utf8');
          const rpc = parseErrorBody(text) ?? (text.trim() && !/^\s*</.test(text) ? { message: text.trim().slice(0, 500) } : {});
          const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'));
          failure = new CloudApiError(ctx(), retryAfterMs === undefined ? { httpStatus: res.status, rpc } : { httpStatus: res.status, rpc, retryAfterMs });
          if (res.status === 401 && !refreshed && this.credentials?.invalidate && spec.auth !== false) {
            refreshed = true;
            this.credentials.invalidate();
            attempts--; // a refused token is not an attempt of the call
            this.#log?.('cloud: the token was refused (401); asking for a fresh one');
            continue;
          }
          const retryable = idempotent ? RETRYABLE_STATUS.has(res.status) : spec.retryStatuses?.includes(res.status) === true;
          if (!retryable) throw failure;
        }
      } catch (err) {
        if (outer?.aborted) throw cancelled();
        // A final API error thrown above, or a sign-in error (the source has its own time-outs): not retried.
        if (err instanceof CloudError) throw err;
        const timedOut = timer.signal.aborted;
        const inner = err instanceof BodyError ? err.inner : err;
        const code = timedOut ? undefined : errorCode(inner);
        if (timedOut) failure = new CloudApiError(ctx(), { reason: 'timeout' });
        else if (err instanceof BodyError && err.badResponse) failure = new CloudApiError(ctx(), { reason: 'bad-response', cause: err.badResponse });
        else failure = new CloudApiError(ctx(), { reason: 'network', cause: code ?? deepestMessage(inner) });
        this.#log?.(redact(`cloud: ${spec.method} ${url} failed in ${Date.now() - t0} ms: ${failure.reason}${code ? ` ${code}` : ''}`));
        const retryable = timedOut || failure.reason === 'bad-response' || (code !== undefined && RESET_CODES.has(code));
        if (!idempotent || !retryable) throw failure;
      } finally {
        clearTimeout(timeout);
      }

      // A retryable failure of an idempotent call: pause, unless the budget is spent.
      const capped = Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.multiplier ** (attempts - 1));
      const delay = failure.retryAfterMs ?? Math.floor(this.#random() * capped);
      const elapsed = Date.now() - started;
      if (attempts >= policy.maxAttempts || elapsed + delay >= policy.totalTimeoutMs) throw failure;
      this.#log?.(`cloud: retrying in ${delay} ms (${failure.reason}${failure.httpStatus ? ` ${failure.httpStatus}` : ''}, attempt ${attempts} of ${policy.maxAttempts})`);
      try {
        await this.#sleep(delay, outer);
      } catch {
        throw cancelled();
      }
    }
  }
}
