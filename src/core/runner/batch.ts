/**
 * Batch prediction over JSON Lines, locally: one instance per input line, one line out per
 * instance, in input order, as Vertex AI's batch output writes it:
 *   {"instance": <the instance>, "prediction": <its prediction>}
 *   {"key": <key>, "instance": <the instance without its key>, "prediction": ...}   (instances with a key field)
 *   {"instance": ..., "error": {"message": "..."}}                                    (a line that failed)
 * Streamed: lines are read in chunks, at most two chunks per worker are in flight, and output is
 * written as soon as the chunks before it are done, so memory stays bounded whatever the file size.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { cancelled, RunnerError } from './errors';
import { RunnerHost } from './host';
import type { BackendName } from './tfjs';

export interface BatchProgress {
  lines: number;
  instances: number;
  errors: number;
  bytes: number;
}

export interface BatchOptions {
  model: string;
  input: string;
  output: string;
  version?: string;
  signature?: string;
  /** 1 or 2 workers (one engine each); default 2. */
  workers?: number;
  /** Instances per request to a worker; default 64. */
  chunkSize?: number;
  /** The field that holds an instance's key (Vertex batch instanceConfig.keyField); default "key". */
  keyField?: string;
  backend?: BackendName;
  signal?: AbortSignal;
  onProgress?: (p: BatchProgress) => void;
  /** Hosts to reuse (the caller owns and closes them); otherwise workers are started and closed here. */
  hosts?: RunnerHost[];
}

export interface BatchResult {
  instances: number;
  errors: number;
  workers: number;
  ms: number;
}

interface Item {
  line: number;
  key?: unknown;
  hasKey: boolean;
  /** The instance as JSON text: the line as written, or (keyed lines, lines that are not JSON) re-encoded. */
  text: string;
  error?: string;
}

/**
 * Whether a line can stand for one JSON value inside `[... , ...]`: outside strings, brackets never
 * close more than they opened, all are closed at the end, and no comma sits at the top level. A
 * line that passes cannot merge with its neighbours into a different list of instances; whether it
 * is valid JSON at all is left to the worker's parser (a chunk that fails is re-run line by line,
 * and a line that is not JSON is then named). Far cheaper than parsing every number on the main
 * thread, which the workers need for themselves.
 */
export function oneJsonValue(text: string): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) depth++;
    else if (c === 0x5d || c === 0x7d) {
      if (--depth < 0) return false;
    } else if (c === 0x2c && depth === 0) return false;
  }
  return depth === 0 && !inString;
}

function notJson(text: string, lineNo: number, err: unknown): Item {
  return { line: lineNo, hasKey: false, text: JSON.stringify(text), error: `line ${lineNo} is not JSON: ${(err as Error).message}` };
}

interface Member {
  name: string;
  /** The member's text, from its name to the end of its value (trimmed). */
  start: number;
  end: number;
  /** Its value's text. */
  valueStart: number;
  valueEnd: number;
}

const isSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;

/**
 * The top-level members of an object line, found by one scan that reads no number (undefined when
 * the text is not shaped like one object: the caller then parses it for the error). Names are
 * decoded; values are located, not parsed.
 */
export function topLevelMembers(t: string): Member[] | undefined {
  const n = t.length;
  if (t.charCodeAt(0) !== 0x7b || t.charCodeAt(n - 1) !== 0x7d) return undefined;
  const members: Member[] = [];
  let i = 1;
  const skip = () => {
    while (i < n && isSpace(t.charCodeAt(i))) i++;
  };
  const endOfString = (from: number): number => {
    for (let j = from + 1; j < n; j++) {
      const c = t.charCodeAt(j);
      if (c === 0x5c) j++;
      else if (c === 0x22) return j + 1;
    }
    return -1;
  };
  skip();
  if (i === n - 1) return members; // {}
  for (;;) {
    skip();
    if (t.charCodeAt(i) !== 0x22) return undefined;
    const start = i;
    const nameEnd = endOfString(i);
    if (nameEnd < 0) return undefined;
    let name: string;
    try {
      name = JSON.parse(t.slice(i, nameEnd)) as string;
    } catch {
      return undefined;
    }
    i = nameEnd;
    skip();
    if (t.charCodeAt(i) !== 0x3a) return undefined;
    i++;
    skip();
    const valueStart = i;
    let depth = 0;
    for (; i < n; i++) {
      const c = t.charCodeAt(i);
      if (c === 0x22) {
        const e = endOfString(i);
        if (e < 0) return undefined;
        i = e - 1;
      } else if (c === 0x5b || c === 0x7b) depth++;
      else if (c === 0x5d || c === 0x7d) {
        if (depth === 0) break;
        depth--;
      } else if (c === 0x2c && depth === 0) break;
    }
    if (i >= n) return undefined;
    let valueEnd = i;
    while (valueEnd > valueStart && isSpace(t.charCodeAt(valueEnd - 1))) valueEnd--;
    if (valueEnd === valueStart) return undefined;
    members.push({ name, start, end: valueEnd, valueStart, valueEnd });
    if (t.charCodeAt(i) === 0x7d) return i === n - 1 ? members : undefined;
    i++; // the comma
  }
}

/**
 * Reads one non-blank line. The instance goes on as the line's own text — no object to clone into
 * the worker, none to encode again for the output: a keyed line has its key member cut out of the
 * text (only the key's value is parsed here), any other line is checked to be one value
 * (oneJsonValue). Numbers are parsed once, by the worker that needs them.
 */
export function readLine(text: string, lineNo: number, keyField: string): Item {
  const t = text.trim();
  if (t.charCodeAt(0) === 0x7b && t.includes(JSON.stringify(keyField))) {
    const members = topLevelMembers(t);
    if (!members) return oneOrError(t, lineNo);
    const keyed = members.find((m) => m.name === keyField);
    if (!keyed || members.some((m) => m.name === 'b64')) return { line: lineNo, hasKey: false, text: t };
    let key: unknown;
    try {
      key = JSON.parse(t.slice(keyed.valueStart, keyed.valueEnd));
    } catch (err) {
      return notJson(t, lineNo, err);
    }
    const rest = members.filter((m) => m !== keyed);
    const only = rest.length === 1 && rest[0]!.name === 'instance' ? rest[0]! : undefined;
    const instance = only ? t.slice(only.valueStart, only.valueEnd) : `{${rest.map((m) => t.slice(m.start, m.end)).join(',')}}`;
    return { line: lineNo, key, hasKey: true, text: instance };
  }
  return oneOrError(t, lineNo);
}

function oneOrError(t: string, lineNo: number): Item {
  if (oneJsonValue(t)) return { line: lineNo, hasKey: false, text: t };
  try {
    JSON.parse(t);
  } catch (err) {
    return notJson(t, lineNo, err);
  }
  return notJson(t, lineNo, new Error('more than one value on the line'));
}

/** One output line, built from the instance's JSON text. */
export function outLine(it: Item, prediction: unknown, error: string | undefined, keyField: string): string {
  const head = it.hasKey ? `{${JSON.stringify(keyField)}:${JSON.stringify(it.key ?? null)},"instance":` : '{"instance":';
  const tail = error !== undefined ? `"error":${JSON.stringify({ message: error })}` : `"prediction":${JSON.stringify(prediction ?? null)}`;
  return `${head}${it.text},${tail}}`;
}

function message(err: unknown): string {
  return err instanceof RunnerError && err.hint ? `${err.message} ${err.hint}` : err instanceof Error ? err.message : String(err);
}

/** Runs a JSON Lines file through the model, writing predictions as JSON Lines. */
export async function runBatch(o: BatchOptions): Promise<BatchResult> {
  const t0 = performance.now();
  const keyField = o.keyField ?? 'key';
  const nWorkers = Math.max(1, Math.min(2, o.workers ?? 2));
  const own = !o.hosts;
  const hosts = o.hosts ?? Array.from({ length: nWorkers }, () => new RunnerHost({ model: o.model, ...(o.version !== undefined ? { version: o.version } : {}), ...(o.backend ? { backend: o.backend } : {}) }));
  const chunkSize = Math.max(1, o.chunkSize ?? 64);
  const progress: BatchProgress = { lines: 0, instances: 0, errors: 0, bytes: 0 };
  const out = createWriteStream(o.output);
  const outDone = new Promise<void>((resolve, reject) => {
    out.on('error', reject);
    out.on('finish', resolve);
  });
  const write = async (text: string) => {
    if (!out.write(text)) await once(out, 'drain');
  };
  const abort = new AbortController();
  const onAbort = () => abort.abort();
  o.signal?.addEventListener('abort', onAbort, { once: true });

  // In order: chunk k is written after chunk k-1.
  let writeChain: Promise<void> = Promise.resolve();
  const inFlight = new Set<Promise<void>>();
  const maxInFlight = hosts.length * 2;
  let next = 0;
  let failure: unknown;

  const runChunk = async (host: RunnerHost, items: Item[]): Promise<{ lines: string[]; errors: number }> => {
    const good = items.filter((it) => it.error === undefined);
    const preds = new Map<Item, unknown>();
    const errs = new Map<Item, string>();
    for (const it of items) if (it.error !== undefined) errs.set(it, it.error);
    const runSome = async (some: Item[]) => {
      // The body as text: a string crosses to the worker as one copy, and the worker parses it
      // (in parallel with the other worker) instead of the main thread cloning nested arrays.
      const body = `{${o.signature ? `"signature_name":${JSON.stringify(o.signature)},` : ''}"instances":[${some.map((it) => it.text).join(',')}]}`;
      const r = await host.predict(body, { signal: abort.signal });
      const p = r.body.predictions;
      if (!Array.isArray(p) || p.length !== some.length) throw new RunnerError('engine', `The model answered ${Array.isArray(p) ? p.length : 'no'} predictions for ${some.length} instances.`);
      some.forEach((it, k) => preds.set(it, p[k]));
    };
    if (good.length) {
      try {
        await runSome(good);
      } catch (err) {
        if (abort.signal.aborted || (err instanceof RunnerError && (err.reason === 'cancelled' || err.reason === 'unsupported-op' || err.reason === 'unsupported-model' || err.reason === 'model'))) throw err;
        // One bad instance fails its chunk: run them one by one to say which.
        for (const it of good) {
          try {
            // Named here: a line the worker could not parse (only its shape was checked on reading).
            JSON.parse(it.text);
          } catch (e) {
            errs.set(it, `line ${it.line} is not JSON: ${(e as Error).message}`);
            it.text = JSON.stringify(it.text); // written out as a string, as every line that is not JSON
            continue;
          }
          try {
            await runSome([it]);
          } catch (e) {
            if (abort.signal.aborted) throw e;
            errs.set(it, message(e));
          }
        }
      }
    }
    return { lines: items.map((it) => outLine(it, preds.get(it), errs.get(it), keyField)), errors: errs.size };
  };

  const dispatch = async (items: Item[]) => {
    const host = hosts[next++ % hosts.length]!;
    const work = runChunk(host, items);
    const prev = writeChain;
    const p = (async () => {
      let done: { lines: string[]; errors: number };
      try {
        done = await work;
      } catch (err) {
        failure ??= err;
        abort.abort();
        return;
      }
      await prev;
      if (failure) return;
      progress.errors += done.errors;
      progress.instances += done.lines.length;
      await write(`${done.lines.join('\n')}\n`);
      o.onProgress?.({ ...progress });
    })();
    writeChain = p;
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
    while (inFlight.size >= maxInFlight) await Promise.race(inFlight);
  };

  try {
    await Promise.all(hosts.map((h) => h.info()));
    const input = createReadStream(o.input, { highWaterMark: 64 * 1024 });
    input.on('data', (c) => (progress.bytes += (c as Buffer).length));
    const rl = createInterface({ input, crlfDelay: Infinity });
    let chunk: Item[] = [];
    let lineNo = 0;
    for await (const raw of rl) {
      lineNo++;
      if (abort.signal.aborted) break;
      const text = lineNo === 1 ? raw.replace(/^\uFEFF/, '') : raw;
      if (!text.trim()) continue;
      progress.lines++;
      const item = readLine(text, lineNo, keyField);
      chunk.push(item);
      if (chunk.length >= chunkSize) {
        const c = chunk;
        chunk = [];
        await dispatch(c);
      }
    }
    rl.close();
    input.destroy();
    if (chunk.length && !abort.signal.aborted) await dispatch(chunk);
    await Promise.all(inFlight);
    await writeChain;
    if (failure) throw failure;
    if (o.signal?.aborted) throw cancelled();
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
    out.end();
    await outDone.catch(() => undefined);
    if (own) await Promise.all(hosts.map((h) => h.close()));
  }
  return { instances: progress.instances, errors: progress.errors, workers: hosts.length, ms: performance.now() - t0 };
}
