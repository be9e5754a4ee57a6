/**
 * Cloud Storage JSON API (`/storage/v1/b/{bucket}/o/{object}`, media with `alt=media`, simple
 * media uploads under `/upload/storage/v1`) and the
 * signatures of a model stored there: ServeLens reads `saved_model.pb` (else `saved_model.pbtxt`)
 * under a Vertex model's `artifactUri` or an AI Platform version's `deploymentUri` with the same
 * model reader as local files, so cloud targets get the same `Signature` objects.
 *
 * Downloads are pinned to the object generation read from its metadata and cached by it: in memory
 * (the signatures) and, when a cache folder is given, on disk (the file, named by a hash of the
 * object path and the generation; older generations of the same object are removed). A binary
 * SavedModel is streamed to a file and read lazily (lazy.ts reads the signatures without the graph),
 * so a large graph costs disk, not memory.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm, stat, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ListOptions } from './contract';
import { CloudApiError, CloudError, isCloudError } from './errors';
import type { CallOptions, HttpClient } from './http';
import { STORAGE_HOST } from './regions';
import { ModelFormatError, ModelNotFoundError, UsageError } from '../errors';
import { listSignaturesLazy } from '../model/lazy';
import { parseSavedModelText } from '../model/pbtxt';
import { MAX_SAVED_MODEL_BYTES, summarizeSavedModel } from '../model/savedmodel';
import type { MetaGraphSummary, Signature } from '../model/types';

/** Object metadata (the fields ServeLens reads). int64 fields are strings. */
export interface GcsObject {
  bucket: string;
  name: string;
  generation: string;
  size: string;
  contentType?: string;
  updated?: string;
  md5Hash?: string;
}

const BUCKET_RE = /^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/;

/** `gs://bucket/path/to/dir/` → { bucket, path: "path/to/dir" } (no leading or trailing slash). */
export function parseGsUri(uri: string): { bucket: string; path: string } {
  const m = /^gs:\/\/([^/]+)\/?(.*)$/.exec(uri.trim());
  if (!m || !BUCKET_RE.test(m[1]!)) throw new UsageError(`'${uri}' is not a gs://bucket/path URI.`);
  const path = m[2]!.replace(/\/+$/, '');
  if (/[\r\n]/.test(path) || path.split('/').some((s) => s === '.' || s === '..')) throw new UsageError(`'${uri}' is not a usable object path.`);
  return { bucket: m[1]!, path };
}

export interface StorageClientOptions {
  http: HttpClient;
  apiEndpoint?: string;
}

export class StorageClient {
  readonly #http: HttpClient;
  readonly baseUrl: string;

  constructor(opts: StorageClientOptions) {
    this.#http = opts.http;
    this.baseUrl = (opts.apiEndpoint ?? STORAGE_HOST).replace(/\/+$/, '');
  }

  #url(bucket: string, object: string): string {
    if (!BUCKET_RE.test(bucket)) throw new UsageError(`'${bucket}' is not a bucket name.`);
    if (!object) throw new UsageError('An object name is required.');
    return `${this.baseUrl}/storage/v1/b/${bucket}/o/${encodeURIComponent(object)}`;
  }

  /** The object's metadata (generation, size, ...). CloudApiError 'not-found' when absent. */
  getObject(bucket: string, object: string, opts: CallOptions = {}): Promise<GcsObject> {
    return this.#http.json({ method: 'GET', url: this.#url(bucket, object), service: 'storage', ...opts });
  }

  /** Objects under a prefix (one page). */
  async listObjects(bucket: string, opts: ListOptions & { prefix?: string; delimiter?: string } = {}): Promise<{ items: GcsObject[]; prefixes: string[]; nextPageToken?: string }> {
    if (!BUCKET_RE.test(bucket)) throw new UsageError(`'${bucket}' is not a bucket name.`);
    const body = await this.#http.json<{ items?: GcsObject[]; prefixes?: string[]; nextPageToken?: string }>({
      method: 'GET',
      url: `${this.baseUrl}/storage/v1/b/${bucket}/o`,
      service: 'storage',
      query: { prefix: opts.prefix, delimiter: opts.delimiter, maxResults: opts.pageSize, pageToken: opts.pageToken },
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    const out: { items: GcsObject[]; prefixes: string[]; nextPageToken?: string } = { items: body.items ?? [], prefixes: body.prefixes ?? [] };
    if (body.nextPageToken) out.nextPageToken = body.nextPageToken;
    return out;
  }

  /** The object's bytes (at most `maxBytes`), of `generation` when given. */
  readObject(bucket: string, object: string, opts: CallOptions & { generation?: string; maxBytes: number }): Promise<Buffer> {
    const { generation, maxBytes, ...call } = opts;
    return this.#http.bytes({ method: 'GET', url: this.#url(bucket, object), service: 'storage', query: { alt: 'media', generation }, ...call }, maxBytes);
  }

  /**
   * Uploads `body` as the object `name` (Cloud Storage JSON API simple media upload:
   * `POST {base}/upload/storage/v1/b/{bucket}/o?uploadType=media&name=...`); resolves with the new
   * object's metadata. Never retried, not even on 429/503: an upload that may have landed is not
   * sent twice. `ifGenerationMatch: '0'` refuses to replace an object that exists (412).
   */
  uploadObject(
    bucket: string,
    name: string,
    body: string | Uint8Array,
    contentType: string,
    opts: CallOptions & { ifGenerationMatch?: string } = {},
  ): Promise<GcsObject> {
    const { ifGenerationMatch, ...call } = opts;
    if (!BUCKET_RE.test(bucket)) throw new UsageError(`'${bucket}' is not a bucket name.`);
    if (!name || /[\r\n]/.test(name) || Buffer.byteLength(name) > 1024) throw new UsageError(`'${name}' is not a usable object name.`);
    return this.#http.json({
      method: 'POST',
      url: `${this.baseUrl}/upload/storage/v1/b/${bucket}/o`,
      service: 'storage',
      query: { uploadType: 'media', name, ifGenerationMatch },
      body,
      headers: { 'content-type': contentType },
      idempotent: false,
      ...call,
    });
  }

  /** Streams the object into `file`; returns its size. */
  downloadObject(bucket: string, object: string, file: string, opts: CallOptions & { generation?: string; maxBytes: number }): Promise<number> {
    const { generation, maxBytes, ...call } = opts;
    return this.#http.download({ method: 'GET', url: this.#url(bucket, object), service: 'storage', query: { alt: 'media', generation }, ...call }, file, maxBytes);
  }
}

export interface ArtifactSignatures {
  /** The object read: gs://bucket/dir/saved_model.pb (or .pbtxt). */
  uri: string;
  generation: string;
  format: 'pb' | 'pbtxt';
  /** Every MetaGraphDef (tags, signatures, TF version; no op list). */
  metaGraphs: MetaGraphSummary[];
  /** The signatures of the `serve` tag-set (else of the first meta graph): what a serving request uses. */
  signatures: Signature[];
}

export interface ArtifactReaderOptions {
  storage: StorageClient;
  /** A folder for downloaded model files, kept across runs (the editor's global storage). */
  cacheDir?: string;
  /** The largest saved_model.pb read (default 2 GiB, the protobuf limit). */
  maxBytes?: number;
}

/** The largest saved_model.pbtxt read (text SavedModels are small; a huge one is a mistake). */
const MAX_PBTXT_BYTES = 256 * 1024 * 1024;
/** Signatures kept in memory (keyed by object and generation). */
const MEMORY_ENTRIES = 64;

function serveSignatures(metaGraphs: MetaGraphSummary[]): Signature[] {
  const mg = metaGraphs.find((m) => m.tags.length === 1 && m.tags[0] === 'serve') ?? metaGraphs.find((m) => m.tags.includes('serve')) ?? metaGraphs[0];
  return mg?.signatures ?? [];
}

/** A ModelFormatError about a local copy, retold about the gs:// object it came from. */
function relocate(err: unknown, local: string, uri: string): unknown {
  if (!(err instanceof ModelFormatError)) return err;
  const loc: { file: string; offset?: number; line?: number; column?: number } = { file: uri };
  if (err.offset !== undefined) loc.offset = err.offset;
  if (err.line !== undefined) loc.line = err.line;
  if (err.column !== undefined) loc.column = err.column;
  const out = new ModelFormatError(loc, err.expected, undefined, err.hint);
  out.message = err.message.split(local).join(uri);
  return out;
}

/**
 * Reads the signatures of SavedModels in Cloud Storage, cached by object generation. One instance
 * per cache folder; concurrent reads of the same object share one download.
 */
export class ArtifactSignatureReader {
  readonly #storage: StorageClient;
  readonly #cacheDir?: string;
  readonly #maxBytes: number;
  readonly #memory = new Map<string, ArtifactSignatures>();
  readonly #pending = new Map<string, Promise<ArtifactSignatures>>();
  /** Downloads made (for tests and the log). */
  downloads = 0;

  constructor(opts: ArtifactReaderOptions) {
    this.#storage = opts.storage;
    if (opts.cacheDir) this.#cacheDir = opts.cacheDir;
    this.#maxBytes = opts.maxBytes ?? MAX_SAVED_MODEL_BYTES;
  }

  /**
   * The signatures of the SavedModel at `artifactUri` (a gs:// folder, or the saved_model.pb /
   * .pbtxt object itself). ModelNotFoundError when neither file is there; ModelFormatError (naming
   * the gs:// object and the byte offset or line) when the file is corrupt; CloudApiError for the calls.
   */
  async read(artifactUri: string, opts: CallOptions = {}): Promise<ArtifactSignatures> {
    const { bucket, path } = parseGsUri(artifactUri);
    const direct = /(^|\/)saved_model\.pb(txt)?$/.test(path);
    const candidates = direct ? [path] : ['saved_model.pb', 'saved_model.pbtxt'].map((f) => (path ? `${path}/${f}` : f));
    let meta: GcsObject | undefined;
    for (const object of candidates) {
      try {
        meta = await this.#storage.getObject(bucket, object, opts);
        break;
      } catch (err) {
        if (!isCloudError(err, 'not-found')) throw err;
      }
    }
    if (!meta)
      throw new ModelNotFoundError(
        artifactUri,
        direct ? 'the object does not exist' : 'neither saved_model.pb nor saved_model.pbtxt is in that folder',
        'The artifact URI must be the SavedModel folder (the one holding saved_model.pb); check the model was uploaded there.',
      );
    if (!/^\d+$/.test(String(meta.generation ?? '')))
      throw new CloudError('bad-response', `Cloud Storage: the metadata of gs://${bucket}/${meta.name} has no generation.`, 'Check the API endpoint override.');
    const key = `${bucket}/${meta.name}#${meta.generation}`;
    const hit = this.#memory.get(key);
    if (hit) return hit;
    let pending = this.#pending.get(key);
    if (!pending) {
      pending = this.#load(bucket, meta, opts).finally(() => this.#pending.delete(key));
      this.#pending.set(key, pending);
    }
    const result = await pending;
    this.#memory.set(key, result);
    if (this.#memory.size > MEMORY_ENTRIES) this.#memory.delete(this.#memory.keys().next().value!);
    return result;
  }

  async #load(bucket: string, meta: GcsObject, opts: CallOptions): Promise<ArtifactSignatures> {
    const uri = `gs://${bucket}/${meta.name}`;
    const size = Number(meta.size ?? 0);
    const pbtxt = meta.name.endsWith('.pbtxt');
    const limit = pbtxt ? MAX_PBTXT_BYTES : this.#maxBytes;
    if (size > limit) throw new ModelFormatError({ file: uri, offset: limit }, `a file of at most ${limit} bytes`, `it has ${size}`);
    const call = { ...opts, generation: meta.generation, maxBytes: limit };

    if (pbtxt) {
      this.downloads++;
      const bytes = await this.#storage.readObject(bucket, meta.name, call);
      const message = parseSavedModelText(new TextDecoder('utf-8').decode(bytes), uri);
      const summary = summarizeSavedModel(message, { dir: uri.slice(0, uri.lastIndexOf('/')), file: uri }, { ops: false });
      return { uri, generation: meta.generation, format: 'pbtxt', metaGraphs: summary.metaGraphs, signatures: serveSignatures(summary.metaGraphs) };
    }

    let dir = this.#cacheDir;
    let temp: string | undefined;
    if (dir) await mkdir(dir, { recursive: true });
    else dir = temp = await mkdtemp(join(tmpdir(), 'servelens-gcs-'));
    const stem = createHash('sha256').update(`${bucket}/${meta.name}`).digest('hex').slice(0, 32);
    const file = join(dir, `${stem}-${meta.generation}.pb`);
    try {
      const cached = await stat(file).then((s) => s.size === size, () => false);
      if (!cached) {
        this.downloads++;
        const got = await this.#storage.downloadObject(bucket, meta.name, file, call);
        if (got !== size && meta.size !== undefined) {
          await rm(file, { force: true });
          throw new CloudApiError({ service: 'storage', method: 'GET', url: uri }, { reason: 'bad-response', cause: `got ${got} bytes of ${size}` });
        }
        if (!temp) await this.#prune(dir, stem, file);
      }
      try {
        const lazy = await listSignaturesLazy(file);
        return { uri, generation: meta.generation, format: 'pb', metaGraphs: lazy.metaGraphs, signatures: serveSignatures(lazy.metaGraphs) };
      } catch (err) {
        if (err instanceof ModelFormatError && !temp) await rm(file, { force: true }); // do not keep a bad copy
        throw relocate(err, file, uri);
      }
    } finally {
      if (temp) await rm(temp, { recursive: true, force: true });
    }
  }

  /** Removes the cached copies of older generations of the same object. */
  async #prune(dir: string, stem: string, keep: string): Promise<void> {
    const names = await readdir(dir).catch(() => [] as string[]);
    await Promise.all(
      names
        .filter((n) => n.startsWith(`${stem}-`) && n.endsWith('.pb') && join(dir, n) !== keep)
        .map((n) => rm(join(dir, n), { force: true })),
    );
  }
}
