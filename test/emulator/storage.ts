/**
 * Cloud Storage JSON API over local folders: a bucket is a set of mounts (object name prefix →
 * folder). Objects list (`prefix`, `delimiter`, `maxResults`, `pageToken`, `startOffset`,
 * `endOffset`), object metadata, media (`alt=media`, also under `/download/storage/v1`) with Range and
 * generation preconditions. Names that would leave a mounted folder (`..`, symlinks out) are 404s.
 * Simple media uploads (`POST /upload/storage/v1/b/{bucket}/o?uploadType=media&name=...`) are kept in
 * the state (`BucketState.uploads`), never written to a mounted folder, and forgotten on reset.
 */
import { createHash } from 'node:crypto';
import { createReadStream, type Stats, type BigIntStats } from 'node:fs';
import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import { crc32cExtend } from '../../src/core/model/bundle/crc32c';
import type { EmuContext } from './context';
import { jsonResponse, paginate, storageError, type EmuRequest, type EmuResponse, EmuHttpError } from './http';
import type { BucketState, EmulatorState, UploadedObject } from './types';

const SERVICE = 'storage.googleapis.com' as const;
const MAX_LIST_FILES = 100_000;

function fail(code: number, reason: string, message: string, extra: Record<string, unknown> = {}): never {
  throw new EmuHttpError(storageError(code, reason, message, extra));
}

function noSuchObject(bucket: string, name: string): never {
  fail(404, 'notFound', `No such object: ${bucket}/${name}`);
}

/** The mount that holds `name`, longest prefix first. */
function mountOf(b: BucketState, name: string): { prefix: string; dir: string } | undefined {
  return [...b.mounts].sort((x, y) => y.prefix.length - x.prefix.length).find((m) => name.startsWith(m.prefix));
}

/** A relative object path that stays inside its folder: no empty, "." or ".." segments, no backslash or NUL. */
function safeRelative(rel: string): boolean {
  if (!rel || rel.includes('\\') || rel.includes('\0') || rel.startsWith('/')) return false;
  return rel.split('/').every((s) => s !== '' && s !== '.' && s !== '..');
}

/** The local file behind an object, or undefined (not there, a folder, or outside the mount). */
export async function objectFile(b: BucketState, name: string): Promise<{ file: string; st: BigIntStats } | undefined> {
  const m = mountOf(b, name);
  if (!m) return undefined;
  const rel = name.slice(m.prefix.length);
  if (!safeRelative(rel)) return undefined;
  try {
    const root = await realpath(m.dir);
    const file = await realpath(resolve(root, rel));
    if (!file.startsWith(root + sep)) return undefined;
    const st = await stat(file, { bigint: true });
    return st.isFile() ? { file, st } : undefined;
  } catch {
    return undefined;
  }
}

/** The local folder behind `gs://bucket/prefix/` (for TF Serving base paths), when it is mounted. */
export async function gcsFolder(state: EmulatorState, uri: string): Promise<string | undefined> {
  const m = /^gs:\/\/([^/]+)\/(.*)$/.exec(uri);
  if (!m) return undefined;
  const b = state.buckets?.[m[1]!];
  if (!b) return undefined;
  const name = m[2]!.endsWith('/') ? m[2]! : `${m[2]!}/`;
  const mount = mountOf(b, name);
  if (!mount) return undefined;
  const rel = name.slice(mount.prefix.length).replace(/\/$/, '');
  if (rel && !safeRelative(rel)) return undefined;
  try {
    const root = await realpath(mount.dir);
    const dir = await realpath(resolve(root, rel));
    return dir === root || dir.startsWith(root + sep) ? dir : undefined;
  } catch {
    return undefined;
  }
}

let lastGeneration = 0n;

/** A generation for an upload: microseconds since the epoch, strictly increasing. */
function nextGeneration(): string {
  const now = BigInt(Date.now()) * 1000n;
  lastGeneration = now > lastGeneration ? now : lastGeneration + 1n;
  return String(lastGeneration);
}

function bufferHashes(data: Buffer): { md5: string; crc32c: string } {
  const c = Buffer.alloc(4);
  c.writeUInt32BE(crc32cExtend(0, data) >>> 0);
  return { md5: createHash('md5').update(data).digest('base64'), crc32c: c.toString('base64') };
}

const hashCache = new Map<string, { md5: string; crc32c: string }>();

async function hashes(file: string, st: BigIntStats): Promise<{ md5: string; crc32c: string }> {
  const key = `${file}|${st.size}|${st.mtimeNs}`;
  const hit = hashCache.get(key);
  if (hit) return hit;
  const md5 = createHash('md5');
  let crc = 0;
  for await (const chunk of createReadStream(file)) {
    const buf = chunk as Buffer;
    md5.update(buf);
    crc = crc32cExtend(crc, buf);
  }
  const c = Buffer.alloc(4);
  c.writeUInt32BE(crc >>> 0);
  const out = { md5: md5.digest('base64'), crc32c: c.toString('base64') };
  if (hashCache.size > 10_000) hashCache.clear();
  hashCache.set(key, out);
  return out;
}

const CONTENT_TYPES: Record<string, string> = {
  '.json': 'application/json', '.txt': 'text/plain', '.pbtxt': 'text/plain', '.jsonl': 'application/jsonl', '.csv': 'text/csv',
};

function contentType(name: string): string {
  return CONTENT_TYPES[extname(name).toLowerCase()] ?? 'application/octet-stream';
}

function generationOf(st: BigIntStats): string {
  return String(st.mtimeNs / 1000n);
}

async function objectJson(origin: string, bucket: string, name: string, file: string, st: BigIntStats): Promise<Record<string, unknown>> {
  const gen = generationOf(st);
  const enc = encodeURIComponent(name);
  const h = await hashes(file, st);
  const time = new Date(Number(st.mtimeMs)).toISOString();
  return {
    kind: 'storage#object',
    id: `${bucket}/${name}/${gen}`,
    selfLink: `${origin}/storage/v1/b/${bucket}/o/${enc}`,
    mediaLink: `${origin}/download/storage/v1/b/${bucket}/o/${enc}?generation=${gen}&alt=media`,
    name,
    bucket,
    generation: gen,
    metageneration: '1',
    contentType: contentType(name),
    storageClass: 'STANDARD',
    size: String(st.size),
    md5Hash: h.md5,
    crc32c: h.crc32c,
    etag: Buffer.from(gen).toString('base64').replace(/=+$/, ''),
    timeCreated: time,
    updated: time,
    timeStorageClassUpdated: time,
  };
}

/** The metadata of an uploaded object, in the shape `objectJson` gives a mounted file. */
function uploadedJson(origin: string, bucket: string, name: string, o: UploadedObject): Record<string, unknown> {
  const data = Buffer.from(o.data, 'base64');
  const enc = encodeURIComponent(name);
  const h = bufferHashes(data);
  const time = new Date(o.time).toISOString();
  return {
    kind: 'storage#object',
    id: `${bucket}/${name}/${o.generation}`,
    selfLink: `${origin}/storage/v1/b/${bucket}/o/${enc}`,
    mediaLink: `${origin}/download/storage/v1/b/${bucket}/o/${enc}?generation=${o.generation}&alt=media`,
    name,
    bucket,
    generation: o.generation,
    metageneration: '1',
    contentType: o.contentType,
    storageClass: 'STANDARD',
    size: String(data.length),
    md5Hash: h.md5,
    crc32c: h.crc32c,
    etag: Buffer.from(o.generation).toString('base64').replace(/=+$/, ''),
    timeCreated: time,
    updated: time,
    timeStorageClassUpdated: time,
  };
}

/** An object name the JSON API accepts: 1..1024 bytes of UTF-8, no CR/LF, not "." or "..". */
function validObjectName(name: string): boolean {
  return name.length > 0 && Buffer.byteLength(name) <= 1024 && !/[\r\n]/.test(name) && name !== '.' && name !== '..';
}

/** `POST /upload/storage/v1/b/{bucket}/o?uploadType=media&name=...`: the body becomes the object. */
async function upload(req: EmuRequest, ctx: EmuContext, rawPath: string): Promise<EmuResponse | undefined> {
  const m = /^\/upload\/storage\/v1\/b\/([^/]+)\/o\/?$/.exec(rawPath);
  if (!m || req.method !== 'POST') return undefined;
  let bucket: string;
  try {
    bucket = decodeURIComponent(m[1]!);
  } catch {
    fail(400, 'invalid', 'The bucket name is not a valid percent-encoded string.');
  }
  const b = ctx.state.buckets?.[bucket];
  const owner = b?.project ?? Object.keys(ctx.state.projects)[0] ?? '';
  const g = ctx.guard(req, SERVICE, 'storage.objects.create', 'storage.objects.create', owner, `projects/_/buckets/${bucket}`);
  if ('response' in g) return g.response;
  if (!b) fail(404, 'notFound', 'The specified bucket does not exist.');
  const q = req.url.searchParams;
  const uploadType = q.get('uploadType');
  if (uploadType === null) fail(400, 'required', 'Upload requests must include an uploadType URL parameter and a URL path beginning with /upload/');
  if (uploadType !== 'media') fail(400, 'invalid', `The emulator takes simple media uploads only (uploadType=media), not uploadType=${uploadType}.`);
  const name = q.get('name');
  if (name === null || name === '') fail(400, 'required', 'Required');
  if (!validObjectName(name)) fail(400, 'invalid', `The object name '${name}' is invalid.`);
  const current = b.uploads?.[name] ?? (await objectFile(b, name).then((f) => (f ? { generation: generationOf(f.st) } : undefined)));
  const match = q.get('ifGenerationMatch');
  if (match !== null && match !== (current?.generation ?? '0')) {
    fail(412, 'conditionNotMet', 'At least one of the pre-conditions you specified did not hold.');
  }
  const rawType = req.headers['content-type'];
  const contentType = (Array.isArray(rawType) ? rawType[0] : rawType)?.trim() || 'application/octet-stream';
  const obj: UploadedObject = { data: req.raw().toString('base64'), contentType, generation: nextGeneration(), time: ctx.now() };
  (b.uploads ??= {})[name] = obj;
  return jsonResponse(200, uploadedJson(req.origin, bucket, name, obj));
}

/** Every object name of a bucket, sorted (bounded walk; symlinks are not followed). */
async function allNames(b: BucketState): Promise<string[]> {
  const out = new Set<string>(Object.keys(b.uploads ?? {}));
  for (const m of b.mounts) {
    let root: string;
    try {
      root = await realpath(m.dir);
    } catch {
      continue;
    }
    const stack: [string, string, number][] = [[root, '', 0]];
    while (stack.length) {
      const [dir, rel, depth] = stack.pop()!;
      let names: string[];
      try {
        names = await readdir(dir);
      } catch {
        continue;
      }
      for (const n of names) {
        const p = join(dir, n);
        let st: Stats;
        try {
          st = await lstat(p);
        } catch {
          continue;
        }
        const r = rel ? `${rel}/${n}` : n;
        if (st.isDirectory() && depth < 64) stack.push([p, r, depth + 1]);
        else if (st.isFile()) {
          const name = m.prefix + r;
          // A longer mount prefix wins for the names it covers.
          if (mountOf(b, name) === m) out.add(name);
          if (out.size > MAX_LIST_FILES) fail(500, 'backendError', `The emulator lists at most ${MAX_LIST_FILES} objects per bucket.`);
        }
      }
    }
  }
  return [...out].sort((a, c) => (a < c ? -1 : a > c ? 1 : 0));
}

async function listObjects(req: EmuRequest, bucket: string, b: BucketState): Promise<EmuResponse> {
  const q = req.url.searchParams;
  const prefix = q.get('prefix') ?? '';
  const delimiter = q.get('delimiter') ?? '';
  const start = q.get('startOffset') ?? '';
  const end = q.get('endOffset') ?? '';
  const rawMax = q.get('maxResults');
  if (rawMax !== null && !/^\d+$/.test(rawMax)) fail(400, 'invalid', `Invalid unsigned integer value: '${rawMax}'.`);
  const max = Math.min(rawMax === null || rawMax === '0' ? 1000 : Number(rawMax), 1000);
  const names = await allNames(b);
  const entries: { name: string; prefix: boolean }[] = [];
  const seenPrefixes = new Set<string>();
  for (const name of names) {
    if (!name.startsWith(prefix) || (start && name < start) || (end && name >= end)) continue;
    if (delimiter) {
      const i = name.indexOf(delimiter, prefix.length);
      if (i >= 0) {
        const p = name.slice(0, i + delimiter.length);
        if (!seenPrefixes.has(p)) {
          seenPrefixes.add(p);
          entries.push({ name: p, prefix: true });
        }
        continue;
      }
    }
    entries.push({ name, prefix: false });
  }
  const listKey = `gcs|${bucket}|${prefix}|${delimiter}|${start}|${end}`;
  const { page, next } = paginate(entries, req.url, listKey, max, (msg) => fail(400, 'invalid', msg));
  const body: Record<string, unknown> = { kind: 'storage#objects' };
  if (next) body.nextPageToken = next;
  const prefixes = page.filter((e) => e.prefix).map((e) => e.name);
  if (prefixes.length) body.prefixes = prefixes;
  const items: Record<string, unknown>[] = [];
  for (const e of page) {
    if (e.prefix) continue;
    const up = b.uploads?.[e.name];
    if (up) {
      items.push(uploadedJson(req.origin, bucket, e.name, up));
      continue;
    }
    const found = await objectFile(b, e.name);
    if (found) items.push(await objectJson(req.origin, bucket, e.name, found.file, found.st));
  }
  if (items.length) body.items = items;
  return jsonResponse(200, body);
}

function checkGeneration(req: EmuRequest, bucket: string, name: string, gen: string): void {
  const q = req.url.searchParams;
  const want = q.get('generation');
  if (want !== null && want !== gen) noSuchObject(bucket, name);
  const match = q.get('ifGenerationMatch');
  const notMatch = q.get('ifGenerationNotMatch');
  if ((match !== null && match !== gen) || (notMatch !== null && notMatch === gen)) {
    fail(412, 'conditionNotMet', 'At least one of the pre-conditions you specified did not hold.', {});
  }
}

/** The bytes of an object: a mounted file's range, or an uploaded object's buffer. */
type MediaSource = { file: string; st: BigIntStats } | { upload: UploadedObject };

async function media(req: EmuRequest, name: string, src: MediaSource): Promise<EmuResponse> {
  const data = 'upload' in src ? Buffer.from(src.upload.data, 'base64') : undefined;
  const gen = 'upload' in src ? src.upload.generation : generationOf(src.st);
  const size = 'upload' in src ? data!.length : Number(src.st.size);
  const h = 'upload' in src ? bufferHashes(data!) : await hashes(src.file, src.st);
  const slice = (start: number, end: number): EmuResponse['body'] => ('upload' in src ? data!.subarray(start, end + 1) : { file: src.file, start, end });
  const headers: Record<string, string> = {
    'content-type': 'upload' in src ? src.upload.contentType : contentType(name),
    'x-goog-generation': gen,
    'x-goog-metageneration': '1',
    'x-goog-stored-content-length': String(size),
    'x-goog-stored-content-encoding': 'identity',
    'x-goog-hash': `crc32c=${h.crc32c},md5=${h.md5}`,
    'x-goog-storage-class': 'STANDARD',
    'accept-ranges': 'bytes',
    etag: `"${Buffer.from(gen).toString('base64').replace(/=+$/, '')}"`,
  };
  const range = req.headers.range;
  if (typeof range === 'string') {
    const m = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
    if (m && (m[1] || m[2])) {
      let startB = m[1] ? Number(m[1]) : Math.max(0, size - Number(m[2]));
      let endB = m[1] ? (m[2] ? Math.min(Number(m[2]), size - 1) : size - 1) : size - 1;
      if (startB >= size || startB > endB) {
        throw new EmuHttpError({
          status: 416,
          headers: { 'content-type': 'text/html; charset=UTF-8', 'content-range': `bytes */${size}` },
          body: Buffer.from('Request range not satisfiable'),
        });
      }
      if (!m[1]) endB = size - 1;
      startB = Math.max(0, startB);
      return { status: 206, headers: { ...headers, 'content-range': `bytes ${startB}-${endB}/${size}` }, body: slice(startB, endB) };
    }
  }
  return { status: 200, headers, body: slice(0, size - 1) };
}

/**
 * Answers `/storage/v1/b/...` and `/download/storage/v1/b/...`, or undefined when the path is not a
 * Cloud Storage route. `rawPath` is still percent-encoded: an object name is everything after `/o/`.
 */
export async function handleStorage(req: EmuRequest, ctx: EmuContext, rawPath: string): Promise<EmuResponse | undefined> {
  if (rawPath.startsWith('/upload/storage/v1/b/')) return upload(req, ctx, rawPath);
  const download = rawPath.startsWith('/download/storage/v1/b/');
  const base = download ? '/download/storage/v1/b/' : '/storage/v1/b/';
  if (!rawPath.startsWith(base) || req.method !== 'GET') return undefined;
  const tail = rawPath.slice(base.length);
  const slash = tail.indexOf('/');
  const bucketRaw = slash < 0 ? tail : tail.slice(0, slash);
  const after = slash < 0 ? '' : tail.slice(slash);
  let bucket: string;
  let objectName: string | undefined;
  try {
    bucket = decodeURIComponent(bucketRaw);
    if (after === '' || after === '/') objectName = undefined;
    else if (after === '/o' || after === '/o/') objectName = '';
    else if (after.startsWith('/o/')) objectName = decodeURIComponent(after.slice(3));
    else return undefined;
  } catch {
    fail(400, 'invalid', 'The object name is not a valid percent-encoded string.');
  }
  if (!bucket) return undefined;
  const alt = req.url.searchParams.get('alt') ?? 'json';
  if (download && (objectName === undefined || objectName === '' || alt !== 'media')) return undefined;

  const permission = objectName === undefined ? 'storage.buckets.get' : objectName === '' ? 'storage.objects.list' : 'storage.objects.get';
  const b = ctx.state.buckets?.[bucket];
  const owner = b?.project ?? Object.keys(ctx.state.projects)[0] ?? '';
  const g = ctx.guard(req, SERVICE, permission, permission, owner, `projects/_/buckets/${bucket}`);
  if ('response' in g) return g.response;
  if (!b) fail(404, 'notFound', 'The specified bucket does not exist.');

  if (objectName === undefined) {
    const time = '2024-01-01T00:00:00.000Z';
    return jsonResponse(200, {
      kind: 'storage#bucket', selfLink: `${req.origin}/storage/v1/b/${bucket}`, id: bucket, name: bucket,
      projectNumber: ctx.state.projects[owner]?.number ?? '0', metageneration: '1', location: 'US', storageClass: 'STANDARD',
      etag: 'CAE=', timeCreated: time, updated: time, locationType: 'multi-region',
    });
  }
  if (objectName === '') return listObjects(req, bucket, b);
  const up = b.uploads?.[objectName];
  if (up) {
    checkGeneration(req, bucket, objectName, up.generation);
    if (alt === 'media') return media(req, objectName, { upload: up });
    if (alt !== 'json') fail(400, 'invalid', `Invalid value for alt: ${alt}`);
    return jsonResponse(200, uploadedJson(req.origin, bucket, objectName, up));
  }
  const found = await objectFile(b, objectName);
  if (!found) noSuchObject(bucket, objectName);
  checkGeneration(req, bucket, objectName, generationOf(found.st));
  if (alt === 'media') return media(req, objectName, found);
  if (alt !== 'json') fail(400, 'invalid', `Invalid value for alt: ${alt}`);
  return jsonResponse(200, await objectJson(req.origin, bucket, objectName, found.file, found.st));
}
