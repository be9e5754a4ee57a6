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
  instance: unknown;
  error?: string;
}

function outLine(it: Item, prediction: unknown, error: string | undefined, keyField: string): string {
  const o: Record<string, unknown> = {};
  if (it.hasKey) o[keyField] = it.key;
  o.instance = it.instance;
  if (error !== undefined) o.error = { message: error };
  else o.prediction = prediction;
  return JSON.stringify(o);
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
      const body = { instances: some.map((it) => it.instance), ...(o.signature ? { signature_name: o.signature } : {}) };
      const r = await host.predict(body, { signal: abort.signal });
      const p = r.body.predictions as unknown[];
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
      let item: Item;
      try {
        const v = JSON.parse(text) as unknown;
        if (v && typeof v === 'object' && !Array.isArray(v) && keyField in v && !('b64' in v)) {
          const { [keyField]: key, ...rest } = v as Record<string, unknown>;
          const keys = Object.keys(rest);
          item = { line: lineNo, key, hasKey: true, instance: keys.length === 1 && keys[0] === 'instance' ? rest.instance : rest };
        } else item = { line: lineNo, hasKey: false, instance: v };
      } catch (err) {
        item = { line: lineNo, hasKey: false, instance: text, error: `line ${lineNo} is not JSON: ${(err as Error).message}` };
      }
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
