/**
 * The ServeLens emulator of Google's REST APIs: one HTTP server on 127.0.0.1 serving Vertex AI,
 * AI Platform, Cloud Storage, TF Serving and the GCE metadata server, with fault injection and a
 * request log for tests. Node's `http` only.
 *
 *   const emu = await startEmulator({ state: { ... } });   // port 0: a free port
 *   emu.faults.add({ path: /\/endpoints$/, kind: 'status', status: 429, retryAfter: 1, times: 2 });
 *   ... emu.requests() ...
 *   await emu.close();
 *
 * Control routes (never faulted, never logged): see docs/emulator.md.
 */
import { createReadStream } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { handleAiPlatform } from './aiplatform';
import { EmuContext } from './context';
import { FaultSet, type Fault, type FaultKind } from './faults';
import {
  EmuHttpError, gfeHtml, jsonResponse, rpcError, RPC_STATUS_BY_HTTP, storageError, textResponse, tfServingError,
  type EmuRequest, type EmuResponse, type Family,
} from './http';
import { handleMetadata, type MetadataCounters } from './metadata';
import { defaultFixturesDir, loadState } from './state';
import { handleStorage } from './storage';
import { handleTfServing } from './tfserving';
import type { AccessMode, EmulatorState, Predictor, ServiceName } from './types';
import { handleVertex, pathSegments } from './vertex';

export interface EmulatorOptions {
  /** 0 or absent: a free port. */
  port?: number;
  /** The state, or the path of a JSON seed. Default: test/emulator/state.sample.json. */
  state?: EmulatorState | string;
  /** Where `${FIXTURES}` points. Default: SERVELENS_FIXTURES, or ../shared/fixtures beside the checkout. */
  fixturesDir?: string;
  /** Runs the models behind :predict / :explain / :classify / :regress (the local runner); without one they answer 501. */
  predictor?: Predictor;
}

export interface RequestRecord {
  seq: number;
  time: string;
  method: string;
  /** The pathname, still percent-encoded. */
  path: string;
  /** The query string without "?" ("" when none). */
  query: string;
  /** Request headers, without Authorization. */
  headers: Record<string, string>;
  /** Whether an Authorization header was sent (its value is never recorded). */
  authorization: boolean;
  /** The status answered; undefined while in flight or when the connection was reset. */
  status?: number;
  /** The fault applied, if any. */
  fault?: FaultKind;
}

export interface Emulator {
  /** http://127.0.0.1:PORT */
  url: string;
  port: number;
  faults: FaultSet;
  /** The live state: tests may change it between requests. */
  readonly state: EmulatorState;
  /** Received requests, oldest first (control routes excluded). */
  requests(): RequestRecord[];
  clearRequests(): void;
  /** How many tokens the metadata server handed out. */
  readonly tokenRequests: number;
  /** Refuse (a mode) or allow again (null) a project on every service, or on one. */
  setAccess(project: string, mode: AccessMode | null, service?: ServiceName): void;
  /** Sets (or with undefined removes) the predictor behind the prediction routes. */
  setPredictor(predictor: Predictor | undefined): void;
  /** Back to the seed state; faults, requests and operations cleared. */
  reset(): void;
  close(): Promise<void>;
}

const MAX_BODY = 10 * 1024 * 1024;
const MAX_LOG = 5000;

function headerRecord(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (k === 'authorization' || v === undefined) continue;
    out[k] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req) {
    total += (chunk as Buffer).length;
    if (total > MAX_BODY) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function familyOf(path: string, state: EmulatorState): Family {
  if (path.startsWith('/__emulator/')) return 'control';
  if (path === '/' || path.startsWith('/computeMetadata')) return 'metadata';
  if (path.startsWith('/storage/') || path.startsWith('/download/storage/') || path.startsWith('/upload/storage/')) return 'storage';
  if (path.startsWith('/v1/projects/') || path.startsWith('/ui/')) return 'google';
  for (const s of state.tfServing ?? []) {
    const prefix = (s.prefix ?? '').replace(/\/+$/, '');
    if (path.startsWith(`${prefix ? (prefix.startsWith('/') ? prefix : `/${prefix}`) : ''}/v1/models`)) return 'tfserving';
  }
  return 'google';
}

/** The body of an injected `status` fault, shaped as the route family answers errors. */
function faultResponse(f: Fault, family: Family): EmuResponse {
  const status = f.status ?? 503;
  const headers: Record<string, string> = {};
  if (f.retryAfter !== undefined) headers['retry-after'] = String(f.retryAfter);
  let res: EmuResponse;
  if (f.body !== undefined) {
    res = typeof f.body === 'string' ? textResponse(status, f.body) : jsonResponse(status, f.body);
  } else if (family === 'storage') {
    const reason = status === 429 ? 'rateLimitExceeded' : status >= 500 ? 'backendError' : 'invalid';
    res = storageError(status, reason, status === 429 ? 'The rate of change requests to the object exceeds the rate limit. Please reduce the rate of create, update, and delete requests.' : status >= 500 ? 'Backend Error' : 'Injected error');
  } else if (family === 'tfserving') {
    res = tfServingError(status, `Injected error (HTTP ${status})`);
  } else if (family === 'metadata') {
    res = textResponse(status, `Injected error (HTTP ${status})`, 'application/text', { 'metadata-flavor': 'Google' });
  } else if (status === 502) {
    res = gfeHtml(502, '');
  } else {
    const code = RPC_STATUS_BY_HTTP[status] ?? (status >= 500 ? 'INTERNAL' : 'UNKNOWN');
    const message = status === 429
      ? 'Quota exceeded for aiplatform.googleapis.com/online_prediction_requests_per_base_model with base model: tensorflow. Please submit a quota increase request.'
      : status === 503 ? 'The service is currently unavailable.'
      : status === 500 ? 'Internal error encountered.'
      : status === 504 ? 'The request timed out. Please try again.'
      : `Injected error (HTTP ${status}).`;
    res = jsonResponse(status, { error: { code: status, message, status: code } });
  }
  res.headers = { ...res.headers, ...headers };
  return res;
}

function bodyLength(body: EmuResponse['body']): number {
  return Buffer.isBuffer(body) ? body.length : Math.max(0, body.end - body.start + 1);
}

async function* chunksOf(body: EmuResponse['body'], limit: number): AsyncGenerator<Buffer> {
  if (limit <= 0) return;
  if (Buffer.isBuffer(body)) {
    yield body.subarray(0, limit);
    return;
  }
  for await (const chunk of createReadStream(body.file, { start: body.start, end: body.start + limit - 1 })) yield chunk as Buffer;
}

function write(res: ServerResponse, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    res.write(chunk, (err) => (err ? reject(err) : resolve()));
  });
}

/** Writes a response, applying a truncate or slow-body fault. */
async function send(res: ServerResponse, r: EmuResponse, fault?: Fault): Promise<void> {
  const total = bodyLength(r.body);
  res.writeHead(r.status, { ...r.headers, 'content-length': String(total) });
  if (fault?.kind === 'truncate') {
    const half = Math.floor(total / 2);
    res.flushHeaders();
    for await (const c of chunksOf(r.body, half)) await write(res, c);
    await sleep(20);
    res.socket?.destroy();
    return;
  }
  if (fault?.kind === 'slow-body') {
    const pieces = Math.max(1, Math.min(10, total));
    const delay = (fault.ms ?? 2000) / pieces;
    const size = Math.max(1, Math.ceil(total / pieces));
    res.flushHeaders();
    let pending = Buffer.alloc(0);
    for await (const c of chunksOf(r.body, total)) {
      pending = Buffer.concat([pending, c]);
      while (pending.length >= size) {
        await sleep(delay);
        if (res.destroyed) return;
        await write(res, pending.subarray(0, size));
        pending = pending.subarray(size);
      }
    }
    if (pending.length) {
      await sleep(delay);
      if (res.destroyed) return;
      await write(res, pending);
    }
    res.end();
    return;
  }
  if (Buffer.isBuffer(r.body)) {
    res.end(r.body);
    return;
  }
  for await (const c of chunksOf(r.body, total)) {
    if (res.destroyed) return;
    if (!res.write(c)) await new Promise<void>((resolve) => res.once('drain', resolve));
  }
  res.end();
}

export async function startEmulator(opts: EmulatorOptions = {}): Promise<Emulator> {
  const fixturesDir = opts.fixturesDir ?? defaultFixturesDir();
  const seed = opts.state;
  const ctx = new EmuContext(loadState(seed, fixturesDir));
  if (opts.predictor) ctx.predictor = opts.predictor;
  const faults = new FaultSet();
  const counters: MetadataCounters = { tokens: 0 };
  let log: RequestRecord[] = [];
  let seq = 0;

  const emulator: Emulator = {
    url: '',
    port: 0,
    faults,
    get state() {
      return ctx.state;
    },
    requests: () => log.map((r) => ({ ...r, headers: { ...r.headers } })),
    clearRequests: () => {
      log = [];
    },
    get tokenRequests() {
      return counters.tokens;
    },
    setAccess(project, mode, service) {
      const p = ctx.state.projects[project];
      if (!p) throw new Error(`no project ${project} in the emulator state`);
      if (!service) {
        if (mode) p.access = mode;
        else delete p.access;
        return;
      }
      const map = typeof p.access === 'string'
        ? { 'aiplatform.googleapis.com': p.access, 'ml.googleapis.com': p.access, 'storage.googleapis.com': p.access }
        : { ...(p.access ?? {}) };
      if (mode) map[service] = mode;
      else delete map[service];
      p.access = map;
    },
    setPredictor(predictor) {
      if (predictor) ctx.predictor = predictor;
      else delete ctx.predictor;
    },
    reset() {
      ctx.state = loadState(seed, fixturesDir);
      ctx.predictions = 0;
      ctx.operations.clear();
      faults.clear();
      log = [];
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };

  async function control(req: IncomingMessage, url: URL, body: Buffer | undefined): Promise<EmuResponse> {
    const path = url.pathname;
    const bad = (msg: string) => jsonResponse(400, { error: msg });
    const parse = (): unknown => {
      try {
        return body && body.length ? JSON.parse(body.toString('utf8')) : undefined;
      } catch {
        return Symbol.for('bad');
      }
    };
    if (path === '/__emulator/requests') {
      if (req.method === 'GET') {
        const prefix = url.searchParams.get('path');
        return jsonResponse(200, emulator.requests().filter((r) => !prefix || r.path.startsWith(prefix)));
      }
      if (req.method === 'DELETE') {
        emulator.clearRequests();
        return jsonResponse(200, {});
      }
    }
    if (path === '/__emulator/faults') {
      if (req.method === 'GET') return jsonResponse(200, faults.toJson());
      if (req.method === 'DELETE') {
        faults.clear();
        return jsonResponse(200, {});
      }
      if (req.method === 'POST') {
        const j = parse();
        try {
          const ids = (Array.isArray(j) ? j : [j]).map((f) => faults.addJson(f));
          return jsonResponse(200, { ids });
        } catch (err) {
          return bad((err as Error).message);
        }
      }
    }
    const one = /^\/__emulator\/faults\/(\d+)$/.exec(path);
    if (one && req.method === 'DELETE') {
      return faults.remove(Number(one[1])) ? jsonResponse(200, {}) : jsonResponse(404, { error: `no fault ${one[1]}` });
    }
    if (path === '/__emulator/access' && req.method === 'POST') {
      const j = parse() as { project?: unknown; mode?: unknown; service?: unknown } | undefined;
      if (!j || typeof j !== 'object' || typeof j.project !== 'string') return bad('expected {"project", "mode": "PERMISSION_DENIED"|"SERVICE_DISABLED"|null, "service"?}');
      if (j.mode !== null && j.mode !== 'PERMISSION_DENIED' && j.mode !== 'SERVICE_DISABLED') return bad('mode must be PERMISSION_DENIED, SERVICE_DISABLED or null');
      if (j.service !== undefined && !['aiplatform.googleapis.com', 'ml.googleapis.com', 'storage.googleapis.com'].includes(j.service as string)) return bad('unknown service');
      try {
        emulator.setAccess(j.project, j.mode, j.service as ServiceName | undefined);
      } catch (err) {
        return jsonResponse(404, { error: (err as Error).message });
      }
      return jsonResponse(200, {});
    }
    if (path === '/__emulator/reset' && req.method === 'POST') {
      emulator.reset();
      return jsonResponse(200, {});
    }
    if (path === '/__emulator/state' && req.method === 'GET') return jsonResponse(200, ctx.state);
    if (path === '/__emulator/health' && req.method === 'GET') return jsonResponse(200, { ok: true, url: emulator.url, tokenRequests: counters.tokens });
    return jsonResponse(404, { error: `no control route ${req.method} ${path}` });
  }

  async function route(er: EmuRequest, family: Family): Promise<EmuResponse> {
    const raw = er.rawPath;
    if (family === 'metadata') return handleMetadata(er, ctx, counters) ?? gfeHtml(404, raw);
    if (family === 'storage') return (await handleStorage(er, ctx, raw)) ?? gfeHtml(404, raw);
    if (family === 'tfserving') return (await handleTfServing(er, ctx, raw)) ?? tfServingError(404, `Malformed request: ${er.method} ${raw}`);
    const ui = raw.startsWith('/ui/');
    if (ui || raw.startsWith('/v1/projects/')) {
      const segs = pathSegments(raw, ui ? '/ui' : '/v1');
      if (!segs) return rpcError('INVALID_ARGUMENT', `Invalid percent-encoding in the path ${raw}`);
      if (!ui && segs[2] === 'models') return (await handleAiPlatform(er, ctx, segs)) ?? gfeHtml(404, raw);
      return (await handleVertex(er, ctx, segs, ui)) ?? gfeHtml(404, raw);
    }
    return gfeHtml(404, raw);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const target = req.url ?? '/';
    const q = target.indexOf('?');
    const rawPath = q >= 0 ? target.slice(0, q) : target;
    const url = new URL(target.startsWith('/') ? target : `/${target}`, 'http://127.0.0.1');
    const method = req.method ?? 'GET';
    const body = await readBody(req);
    const family = familyOf(rawPath, ctx.state);

    if (family === 'control') {
      await send(res, await control(req, url, body));
      return;
    }
    const record: RequestRecord = {
      seq: ++seq,
      time: new Date().toISOString(),
      method,
      path: rawPath,
      query: q >= 0 ? target.slice(q + 1) : '',
      headers: headerRecord(req),
      authorization: typeof req.headers.authorization === 'string',
    };
    log.push(record);
    if (log.length > MAX_LOG) log = log.slice(-MAX_LOG);

    const { latencyMs, fault } = faults.take(method, rawPath);
    if (fault) record.fault = fault.kind;
    if (latencyMs > 0) {
      await sleep(latencyMs);
      if (req.socket.destroyed) return;
    }
    if (fault?.kind === 'reset') {
      req.socket.resetAndDestroy();
      return;
    }
    let response: EmuResponse;
    if (fault?.kind === 'status') {
      response = faultResponse(fault, family);
    } else if (body === undefined) {
      response = family === 'google' ? rpcError('INVALID_ARGUMENT', `Request payload size exceeds the limit: ${MAX_BODY} bytes.`) : jsonResponse(413, { error: 'Request body too large' });
    } else {
      const alt = url.searchParams.get('$alt') ?? '';
      const er: EmuRequest = {
        method,
        url,
        rawPath,
        headers: req.headers,
        numericEnums: /(^|;)\s*enum-encoding=int\b/.test(alt),
        origin: `http://${req.headers.host ?? `127.0.0.1:${emulator.port}`}`,
        raw: () => body,
        json: async () => {
          if (!body.length) return undefined;
          try {
            return JSON.parse(body.toString('utf8')) as unknown;
          } catch (err) {
            throw new EmuHttpError(family === 'tfserving'
              ? tfServingError(400, `JSON Parse error: ${(err as Error).message}`)
              : rpcError('INVALID_ARGUMENT', `Invalid JSON payload received. ${(err as Error).message}`));
          }
        },
      };
      try {
        response = await route(er, family);
      } catch (err) {
        if (err instanceof EmuHttpError) response = err.response;
        else {
          const message = `Emulator error: ${err instanceof Error ? err.message : String(err)}`;
          response = family === 'tfserving' ? tfServingError(500, message) : family === 'storage' ? storageError(500, 'backendError', message) : rpcError('INTERNAL', message);
        }
      }
    }
    record.status = response.status;
    await send(res, response, fault);
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end('emulator error');
      } else res.destroy();
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  emulator.port = port;
  emulator.url = `http://127.0.0.1:${port}`;
  return emulator;
}
