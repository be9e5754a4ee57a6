/**
 * The call history of Predict / Explain: one entry per call in `index.jsonl` (one JSON object a
 * line, oldest first), the request and response bodies as separate files under `bodies/`. Plain
 * Node fs; the editor gives it a storage folder (its globalStorageUri), the CLI none.
 *
 *  - bounded by entry count and by the total bytes of stored bodies: the oldest entries go first;
 *  - every write is atomic (a temporary file, then rename), operations run one at a time;
 *  - a corrupt index does not throw: the lines that still read as entries are kept, the rest are
 *    dropped and the index is rewritten; body files no entry names are removed;
 *  - nothing stored holds a token: request, response, error, file and target text pass redact().
 *
 * `compare(previous, current)` gives a small structural diff of two prediction responses, for
 * "compare with the previous response of the same file".
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { redact } from '../cloud/secrets';
import type { HistoryEntry, HistoryTarget } from './records';
import type { PredictOp } from './target';

export type { HistoryEntry, HistoryTarget } from './records';

export interface HistoryLimits {
  /** At most this many entries (default 200). */
  maxEntries?: number;
  /** At most this many bytes of stored bodies in all (default 50 MB). */
  maxBytes?: number;
}

export interface NewEntry {
  op: PredictOp;
  target: HistoryTarget;
  file?: string;
  /** The request body as sent. */
  request: string;
  /** The response body (ok, and errors that had a body). */
  response?: string;
  status: 'ok' | 'error';
  latencyMs?: number;
  httpStatus?: number;
  error?: string;
  deployedModelId?: string;
  time?: Date;
}

export interface StoredCall {
  entry: HistoryEntry;
  request?: string;
  response?: string;
}

const INDEX = 'index.jsonl';
const BODIES = 'bodies';
const ID_RE = /^[0-9a-z]{8,40}$/;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function validEntry(v: unknown): v is HistoryEntry {
  if (!isObject(v)) return false;
  const t = v.target;
  return (
    typeof v.id === 'string' && ID_RE.test(v.id) &&
    typeof v.time === 'string' && (v.op === 'predict' || v.op === 'explain') &&
    isObject(t) && typeof t.kind === 'string' && typeof t.name === 'string' && typeof t.label === 'string' &&
    typeof v.requestHash === 'string' && typeof v.requestBytes === 'number' &&
    (v.status === 'ok' || v.status === 'error')
  );
}

/** Writes a file atomically: a temporary file beside it, then rename. */
export async function writeAtomic(path: string, data: string): Promise<void> {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, data, 'utf8');
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

export function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export class CallHistory {
  readonly dir: string;
  readonly maxEntries: number;
  readonly maxBytes: number;
  #queue: Promise<unknown> = Promise.resolve();
  #entries?: HistoryEntry[];
  /** Lines of the index that could not be read the last time it was loaded. */
  droppedLines = 0;

  constructor(dir: string, limits: HistoryLimits = {}) {
    this.dir = dir;
    this.maxEntries = limits.maxEntries ?? 200;
    this.maxBytes = limits.maxBytes ?? 50 * 1024 * 1024;
    if (!(this.maxEntries >= 1) || !(this.maxBytes >= 0)) throw new RangeError('history limits must be positive');
  }

  #run<T>(op: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(op, op);
    this.#queue = next.catch(() => undefined);
    return next;
  }

  #body(id: string, which: 'request' | 'response'): string {
    return join(this.dir, BODIES, `${id}.${which}`);
  }

  async #load(): Promise<HistoryEntry[]> {
    if (this.#entries) return this.#entries;
    await mkdir(join(this.dir, BODIES), { recursive: true });
    // No index yet, or one that cannot be read: start from what can be read (maybe nothing).
    const text = await readFile(join(this.dir, INDEX), 'utf8').catch(() => '');
    const entries: HistoryEntry[] = [];
    const ids = new Set<string>();
    let dropped = 0;
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      let v: unknown;
      try {
        v = JSON.parse(line);
      } catch {
        dropped++;
        continue;
      }
      if (!validEntry(v) || ids.has(v.id)) {
        dropped++;
        continue;
      }
      ids.add(v.id);
      entries.push(v);
    }
    this.droppedLines = dropped;
    this.#entries = entries;
    if (dropped) await this.#save();
    await this.#sweep();
    return entries;
  }

  /** Removes body files no entry names (left by a crash or a corrupt index). */
  async #sweep(): Promise<void> {
    const keep = new Set(this.#entries!.map((e) => e.id));
    let names: string[] = [];
    try {
      names = await readdir(join(this.dir, BODIES));
    } catch {
      return;
    }
    for (const n of names) {
      const id = n.split('.')[0]!;
      if (!keep.has(id) || n.endsWith('.tmp')) await rm(join(this.dir, BODIES, n), { force: true });
    }
  }

  async #save(): Promise<void> {
    const text = this.#entries!.map((e) => JSON.stringify(e)).join('\n');
    await writeAtomic(join(this.dir, INDEX), text ? `${text}\n` : '');
  }

  static #stored(e: HistoryEntry): number {
    return e.bodiesDropped ? 0 : e.requestBytes + (e.responseBytes ?? 0);
  }

  /** Bytes of bodies stored now. */
  async totalBytes(): Promise<number> {
    return this.#run(async () => (await this.#load()).reduce((n, e) => n + CallHistory.#stored(e), 0));
  }

  /** Records a call; evicts the oldest entries past the bounds. Returns the entry stored. */
  add(input: NewEntry): Promise<HistoryEntry> {
    return this.#run(async () => {
      const entries = await this.#load();
      const request = redact(input.request);
      const response = input.response === undefined ? undefined : redact(input.response);
      const time = input.time ?? new Date();
      const id = `${time.getTime().toString(36)}${randomBytes(5).toString('hex')}`;
      const entry: HistoryEntry = {
        id,
        time: time.toISOString(),
        op: input.op,
        target: { kind: input.target.kind, name: redact(input.target.name), label: redact(input.target.label) },
        requestHash: sha256(input.request),
        requestBytes: Buffer.byteLength(request),
        status: input.status,
      };
      if (input.file !== undefined) entry.file = redact(input.file);
      if (input.latencyMs !== undefined) entry.latencyMs = input.latencyMs;
      if (response !== undefined) entry.responseBytes = Buffer.byteLength(response);
      if (input.httpStatus !== undefined) entry.httpStatus = input.httpStatus;
      if (input.error !== undefined) entry.error = redact(input.error).split('\n')[0]!.slice(0, 500);
      if (input.deployedModelId !== undefined) entry.deployedModelId = input.deployedModelId;
      if (CallHistory.#stored(entry) > this.maxBytes) entry.bodiesDropped = true;
      if (!entry.bodiesDropped) {
        await writeAtomic(this.#body(id, 'request'), request);
        if (response !== undefined) await writeAtomic(this.#body(id, 'response'), response);
      }
      entries.push(entry);
      let total = entries.reduce((n, e) => n + CallHistory.#stored(e), 0);
      const evicted: HistoryEntry[] = [];
      while (entries.length > this.maxEntries || (total > this.maxBytes && entries.length > 1)) {
        const old = entries.shift()!;
        total -= CallHistory.#stored(old);
        evicted.push(old);
      }
      await this.#save();
      for (const e of evicted) await this.#removeBodies(e.id);
      return { ...entry };
    });
  }

  async #removeBodies(id: string): Promise<void> {
    await rm(this.#body(id, 'request'), { force: true });
    await rm(this.#body(id, 'response'), { force: true });
  }

  /** Every entry, newest first. */
  list(): Promise<HistoryEntry[]> {
    return this.#run(async () => [...(await this.#load())].reverse().map((e) => ({ ...e, target: { ...e.target } })));
  }

  /** An entry with its bodies (absent when dropped or unreadable). */
  get(id: string): Promise<StoredCall | undefined> {
    return this.#run(async () => {
      const entry = (await this.#load()).find((e) => e.id === id);
      if (!entry) return undefined;
      const out: StoredCall = { entry: { ...entry, target: { ...entry.target } } };
      const request = await readFile(this.#body(id, 'request'), 'utf8').catch(() => undefined);
      const response = await readFile(this.#body(id, 'response'), 'utf8').catch(() => undefined);
      if (request !== undefined) out.request = request;
      if (response !== undefined) out.response = response;
      return out;
    });
  }

  /**
   * The newest successful call of the same file to the same target before `beforeId` (or before
   * now): what "compare with the previous response" compares with.
   */
  async previous(file: string, target: Pick<HistoryTarget, 'kind' | 'name'>, beforeId?: string): Promise<StoredCall | undefined> {
    const all = await this.list();
    const start = beforeId ? all.findIndex((e) => e.id === beforeId) + 1 : 0;
    const name = redact(target.name);
    const hit = all.slice(start).find((e) => e.file === redact(file) && e.target.kind === target.kind && e.target.name === name && e.status === 'ok');
    return hit ? this.get(hit.id) : undefined;
  }

  /** Removes one entry and its bodies. */
  delete(id: string): Promise<boolean> {
    return this.#run(async () => {
      const entries = await this.#load();
      const i = entries.findIndex((e) => e.id === id);
      if (i < 0) return false;
      entries.splice(i, 1);
      await this.#save();
      await this.#removeBodies(id);
      return true;
    });
  }

  /** Removes every entry and body. */
  clear(): Promise<void> {
    return this.#run(async () => {
      await this.#load();
      this.#entries = [];
      await this.#save();
      await this.#sweep();
    });
  }
}

// ---------------------------------------------------------------------------------------------
// compare()

export interface ValueChange {
  /** JSON path: predictions[0].scores[1] */
  path: string;
  kind: 'changed' | 'added' | 'removed' | 'type';
  previous?: unknown;
  current?: unknown;
  /** current − previous, for numbers. */
  delta?: number;
}

export interface InstanceDelta {
  index: number;
  /** Largest |delta| per output of this instance ("" for a bare value). */
  outputs: Record<string, number>;
  /** Values that changed other than numerically (added, removed, other type, other text). */
  structural: number;
}

export interface ResponseDiff {
  same: boolean;
  /** Numbers compared, and how many differ by more than the tolerance. */
  numbers: number;
  changedNumbers: number;
  maxAbsDelta: number;
  meanAbsDelta: number;
  /** Per instance of predictions / outputs / results / explanations. */
  instances: InstanceDelta[];
  /** The changes, at most `maxChanges` (largest numeric changes first, then the others). */
  changes: ValueChange[];
  truncated: boolean;
  /** Set when a body is not JSON: the texts are compared as a whole. */
  notJson?: boolean;
}

export interface CompareOptions {
  /** |delta| at or below this is no change (default 0). */
  tolerance?: number;
  maxChanges?: number;
}

/** Top-level fields of a prediction response that are per instance. */
const PER_INSTANCE = ['predictions', 'outputs', 'results', 'explanations'];
/** Fields that say who answered, not what: not compared. */
const IGNORED = new Set(['deployedModelId', 'model', 'modelVersionId', 'modelDisplayName']);

function parse(body: string | unknown): { ok: true; value: unknown } | { ok: false } {
  if (typeof body !== 'string') return { ok: true, value: body };
  try {
    return { ok: true, value: JSON.parse(body) };
  } catch {
    return { ok: false };
  }
}

const kindOf = (v: unknown) => (Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v);

/** A small structural diff of two prediction responses (text or parsed). */
export function compare(previousBody: string | unknown, currentBody: string | unknown, opts: CompareOptions = {}): ResponseDiff {
  const tolerance = opts.tolerance ?? 0;
  const maxChanges = opts.maxChanges ?? 50;
  const numeric: ValueChange[] = [];
  const other: ValueChange[] = [];
  let numbers = 0;
  let sumAbs = 0;
  let maxAbs = 0;
  const a = parse(previousBody);
  const b = parse(currentBody);
  if (!a.ok || !b.ok) {
    const same = previousBody === currentBody;
    return { same, numbers: 0, changedNumbers: 0, maxAbsDelta: 0, meanAbsDelta: 0, instances: [], changes: same ? [] : [{ path: '', kind: 'changed' }], truncated: false, notJson: true };
  }
  const instances = new Map<number, InstanceDelta>();
  const instanceOf = (path: string): { index: number; output: string } | undefined => {
    const m = /^(\w+)\[(\d+)\](?:\.([^.[]+)|\[)?/.exec(path);
    if (!m || !PER_INSTANCE.includes(m[1]!)) return undefined;
    return { index: Number(m[2]), output: m[3] ?? '' };
  };
  const note = (path: string, abs: number | undefined) => {
    const at = instanceOf(path);
    if (!at) return;
    const d = instances.get(at.index) ?? { index: at.index, outputs: {}, structural: 0 };
    if (abs === undefined) d.structural++;
    else d.outputs[at.output] = Math.max(d.outputs[at.output] ?? 0, abs);
    instances.set(at.index, d);
  };
  const walk = (x: unknown, y: unknown, path: string, depth: number): void => {
    if (depth > 64) return;
    if (typeof x === 'number' && typeof y === 'number') {
      numbers++;
      const delta = y - x;
      const abs = Math.abs(delta);
      note(path, abs);
      if (abs > tolerance || (Number.isNaN(x) !== Number.isNaN(y))) {
        sumAbs += abs;
        maxAbs = Math.max(maxAbs, abs);
        numeric.push({ path, kind: 'changed', previous: x, current: y, delta });
      }
      return;
    }
    if (kindOf(x) !== kindOf(y)) {
      other.push({ path, kind: x === undefined ? 'added' : y === undefined ? 'removed' : 'type', ...(x !== undefined ? { previous: x } : {}), ...(y !== undefined ? { current: y } : {}) });
      note(path, undefined);
      return;
    }
    if (Array.isArray(x) && Array.isArray(y)) {
      const n = Math.max(x.length, y.length);
      for (let i = 0; i < n; i++) walk(x[i], y[i], `${path}[${i}]`, depth + 1);
      return;
    }
    if (isObject(x) && isObject(y)) {
      const keys = [...new Set([...Object.keys(x), ...Object.keys(y)])];
      for (const k of keys) {
        if (depth === 0 && IGNORED.has(k)) continue;
        walk(x[k], y[k], path ? `${path}.${k}` : k, depth + 1);
      }
      return;
    }
    if (x !== y) {
      other.push({ path, kind: 'changed', previous: x, current: y });
      note(path, undefined);
    }
  };
  walk(a.value, b.value, '', 0);
  numeric.sort((p, q) => Math.abs(q.delta!) - Math.abs(p.delta!));
  const all = [...numeric, ...other];
  return {
    same: all.length === 0,
    numbers,
    changedNumbers: numeric.length,
    maxAbsDelta: maxAbs,
    meanAbsDelta: numbers ? sumAbs / numbers : 0,
    instances: [...instances.values()].sort((p, q) => p.index - q.index),
    changes: all.slice(0, maxChanges),
    truncated: all.length > maxChanges,
  };
}
