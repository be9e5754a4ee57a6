/**
 * `servelens serve`: a model on 127.0.0.1 with TF Serving's REST API and Vertex-style routes.
 *   GET  /v1/models/{name}[/versions/{v}]                  status
 *   GET  /v1/models/{name}[/versions/{v}]/metadata         TF Serving's metadata shape
 *   POST /v1/models/{name}[/versions/{v}]:predict|:classify|:regress
 *   POST /v1/projects/{p}/locations/{l}/endpoints/{e}:predict|:explain   (any p/l/e)
 * Errors are TF Serving's {"error": "..."}. Inference runs in a RunnerHost worker per version, so
 * the server keeps answering status calls while a model runs.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, dirname } from 'node:path';
import { resolveModelPath } from '../model/resolve';
import type { Signature, TensorSpec } from '../model/types';
import { RunnerError } from './errors';
import { vertexExplainOptions } from './explainOptions';
import { RunnerHost, DEFAULT_MAX_BODY_BYTES } from './host';
import type { Method } from './predict';
import type { BackendName } from './tfjs';

export interface LocalServerOptions {
  model: string;
  /** The model name in URLs (default: the model folder name; the base folder for a TF Serving base dir). */
  name?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  signal?: AbortSignal;
  backend?: BackendName;
  maxBodyBytes?: number;
}

export interface LocalServer {
  url: string;
  name: string;
  port: number;
  /** Versions served (one entry, "1", for a model that is not in a TF Serving base directory). */
  versions: string[];
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

function tensorShape(shape: number[] | null): Record<string, unknown> {
  if (shape === null) return { dim: [], unknown_rank: true };
  return { dim: shape.map((d) => ({ size: String(d), name: '' })), unknown_rank: false };
}

function tensorInfo(t: TensorSpec): Record<string, unknown> {
  if (t.encoding === 'coo_sparse' && t.cooSparse)
    return { coo_sparse: { values_tensor_name: t.cooSparse.values, indices_tensor_name: t.cooSparse.indices, dense_shape_tensor_name: t.cooSparse.denseShape }, dtype: t.dtype, tensor_shape: tensorShape(t.shape) };
  return { dtype: t.dtype, tensor_shape: tensorShape(t.shape), name: t.tensor };
}

/** TF Serving's signature_def map (GetModelMetadata, as its REST API prints it). */
export function signatureDefMap(sigs: readonly Signature[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const sig of sigs) {
    out[sig.name] = {
      inputs: Object.fromEntries(sig.inputs.map((t) => [t.alias, tensorInfo(t)])),
      outputs: Object.fromEntries(sig.outputs.map((t) => [t.alias, tensorInfo(t)])),
      method_name: sig.method,
      defaults: {},
    };
  }
  return out;
}

async function readBody(req: IncomingMessage, max: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > max) throw new HttpError(413, `The request body is larger than ${max} bytes.`);
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Starts the local server; resolves once it listens. */
export async function startLocalServer(opts: LocalServerOptions): Promise<LocalServer> {
  const resolved = await resolveModelPath(opts.model);
  const base = resolved.version !== undefined ? dirname(resolved.dir) : resolved.dir;
  // A version folder given directly ("half_plus_two/00000123") is served as that version of its parent.
  const numbered = resolved.version === undefined && /^\d+$/.test(basename(resolved.dir));
  const name = opts.name ?? basename(numbered ? dirname(resolved.dir) : base);
  const versions = resolved.versions ?? [numbered ? basename(resolved.dir) : '1'];
  const inBase = resolved.versions !== undefined;
  const latest = resolved.version ?? versions[0]!;
  const hosts = new Map<string, RunnerHost>();
  const hostFor = (v: string): RunnerHost => {
    let h = hosts.get(v);
    if (!h) {
      h = new RunnerHost({ model: inBase ? base : opts.model, ...(inBase ? { version: v } : {}), ...(opts.backend ? { backend: opts.backend } : {}), ...(opts.maxBodyBytes ? { maxBodyBytes: opts.maxBodyBytes } : {}) });
      hosts.set(v, h);
    }
    return h;
  };
  const versionOf = (v: string | undefined): string => {
    if (v === undefined) return latest;
    const hit = versions.find((x) => x === v || (/^\d+$/.test(v) && /^\d+$/.test(x) && BigInt(x) === BigInt(v)));
    if (!hit) throw new HttpError(404, `Servable not found for request: Specific(${name}, ${v})`);
    return hit;
  };
  const shownVersion = (v: string) => (/^\d+$/.test(v) ? String(BigInt(v)) : v);
  const maxBody = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = decodeURIComponent(url.pathname);
    const send = (status: number, body: unknown) => {
      const text = JSON.stringify(body, null, 2);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    const vertex = /^\/v1\/projects\/[^/]+\/locations\/[^/]+\/endpoints\/[^/:]+:(predict|explain)$/.exec(path);
    if (vertex) {
      if (req.method !== 'POST') throw new HttpError(405, `${req.method} is not allowed on ${path}; use POST.`);
      const text = await readBody(req, maxBody);
      const host = hostFor(latest);
      if (vertex[1] === 'predict') {
        const r = await host.predict(text, { format: 'vertex' });
        send(200, { ...r.body, deployedModelId: 'local', model: `local/${name}`, modelVersionId: shownVersion(latest), modelDisplayName: name });
      } else {
        const r = await host.explain(text, vertexExplainOptions(text));
        send(200, { ...r.body, deployedModelId: 'local' });
      }
      return;
    }
    const m = /^\/v1\/models\/([^/:]+)(?:\/versions\/([^/:]+))?(?:(\/metadata)|:(predict|classify|regress))?\/?$/.exec(path);
    if (!m) throw new HttpError(404, `Malformed request: ${req.method} ${path}`);
    const [, model, ver, metadata, verb] = m;
    if (model !== name) throw new HttpError(404, `Servable not found for request: ${ver ? `Specific(${model}, ${ver})` : `Latest(${model})`}`);
    const v = versionOf(ver);
    if (verb) {
      if (req.method !== 'POST') throw new HttpError(405, `Malformed request: ${req.method} ${path}`);
      const text = await readBody(req, maxBody);
      const r = await hostFor(v).predict(text, { method: verb as Method, format: 'tfserving' });
      send(200, r.body);
      return;
    }
    if (req.method !== 'GET') throw new HttpError(405, `Malformed request: ${req.method} ${path}`);
    if (metadata) {
      const info = await hostFor(v).info();
      send(200, { model_spec: { name, signature_name: '', version: shownVersion(v) }, metadata: { signature_def: { signature_def: signatureDefMap(info.signatures) } } });
      return;
    }
    const shown = ver ? [v] : versions;
    send(200, { model_version_status: shown.slice().reverse().map((x) => ({ version: shownVersion(x), state: 'AVAILABLE', status: { error_code: 'OK', error_message: '' } })) });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      const status = err instanceof HttpError ? err.status : err instanceof RunnerError ? err.status === 499 ? 500 : err.status : err instanceof SyntaxError ? 400 : 500;
      const message = err instanceof RunnerError && err.hint ? `${err.message} ${err.hint}` : err instanceof Error ? err.message : String(err);
      if (!res.headersSent) {
        const text = JSON.stringify({ error: message });
        res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
        res.end(text);
      } else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections();
      await closed;
      await Promise.all([...hosts.values()].map((h) => h.close()));
    })();
    return closing;
  };
  if (opts.signal) {
    if (opts.signal.aborted) await close();
    else opts.signal.addEventListener('abort', () => void close(), { once: true });
  }
  return { url: `http://127.0.0.1:${port}`, name, port, versions: versions.map(shownVersion), close };
}
