/**
 * RunnerHost: the engine in a worker thread, so the caller (the extension host, the local server)
 * never blocks on TensorFlow.js. Requests are queued in the worker; an AbortSignal terminates the
 * worker (interrupting a running graph) and the next call starts a fresh one. Memory is bounded
 * by the worker's resourceLimits and by refusing bodies over `maxBodyBytes`.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { cancelled, fromRunnerErrorData, RunnerError } from './errors';
import type { ExplainOptions, ExplainResult } from './explain';
import type { PredictOptions, PredictResult } from './predict';
import type { FromWorker, ModelInfo, ToWorker } from './protocol';
import type { BackendName } from './tfjs';

export interface RunnerHostOptions {
  model: string;
  /** Version folder of a TF Serving base directory. */
  version?: string;
  backend?: BackendName;
  /** The worker's V8 heap limit (MB); default 2048. */
  maxMemoryMb?: number;
  /** Request bodies larger than this are refused before they reach the worker; default 256 MiB. */
  maxBodyBytes?: number;
  /** The worker script; default: runnerWorker.js beside the bundle, or worker.js beside this file. */
  workerPath?: string;
}

export const DEFAULT_MAX_BODY_BYTES = 256 * 1024 * 1024;

/** Where the worker entry is: dist/runnerWorker.js beside a bundle, out/.../worker.js unbundled. */
export function workerScript(): string {
  const bundled = join(__dirname, 'runnerWorker.js');
  if (existsSync(bundled)) return bundled;
  return join(__dirname, 'worker.js');
}

interface Pending {
  resolve: (v: FromWorker) => void;
  reject: (e: Error) => void;
}

type PredictCall = Omit<PredictOptions, 'signal'> & { signal?: AbortSignal };
type ExplainCall = Omit<ExplainOptions, 'signal'> & { signal?: AbortSignal };

export class RunnerHost {
  private worker?: Worker;
  private opened?: Promise<ModelInfo>;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private closed = false;

  constructor(readonly opts: RunnerHostOptions) {}

  /** Opens the model in the worker (once); resolves with its signatures. */
  info(): Promise<ModelInfo> {
    if (this.closed) return Promise.reject(new RunnerError('cancelled', 'The runner is closed.'));
    if (!this.opened) {
      this.spawn();
      this.opened = this.call({ type: 'open', id: 0, model: this.opts.model, ...(this.opts.version !== undefined ? { version: this.opts.version } : {}), ...(this.opts.backend ? { backend: this.opts.backend } : {}) }).then((m) => (m as Extract<FromWorker, { type: 'opened' }>).info);
      this.opened.catch(() => {
        this.opened = undefined;
      });
    }
    return this.opened;
  }

  async predict(body: string | object, opts: PredictCall = {}): Promise<PredictResult> {
    const { signal, ...rest } = opts;
    this.checkSize(body);
    await this.info();
    const m = await this.call({ type: 'predict', id: 0, body, opts: rest }, signal);
    return (m as Extract<FromWorker, { type: 'predicted' }>).result;
  }

  async explain(body: string | object, opts: ExplainCall = {}): Promise<ExplainResult> {
    const { signal, ...rest } = opts;
    this.checkSize(body);
    await this.info();
    const m = await this.call({ type: 'explain', id: 0, body, opts: rest }, signal);
    return (m as Extract<FromWorker, { type: 'explained' }>).result;
  }

  /** Stops the worker; pending calls reject. */
  async close(): Promise<void> {
    this.closed = true;
    await this.kill(new RunnerError('cancelled', 'The runner was closed.'));
  }

  private checkSize(body: string | object): void {
    const max = this.opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    const size = typeof body === 'string' ? Buffer.byteLength(body) : undefined;
    if (size !== undefined && size > max)
      throw new RunnerError('too-large', `The request body is ${size} bytes; the local runner takes at most ${max} bytes per request.`, 'Split the instances into smaller requests, or run them as a batch over a JSON Lines file.');
  }

  private spawn(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(this.opts.workerPath ?? workerScript(), {
      resourceLimits: { maxOldGenerationSizeMb: this.opts.maxMemoryMb ?? 2048 },
      stdout: false,
      stderr: false,
    });
    // Idle workers do not keep the process alive; a worker with calls in flight does.
    w.unref();
    w.on('message', (m: FromWorker) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (this.pending.size === 0) w.unref();
      if (m.type === 'error') p.reject(fromRunnerErrorData(m.error));
      else p.resolve(m);
    });
    w.on('error', (err: Error & { code?: string }) => {
      const e = err.code === 'ERR_WORKER_OUT_OF_MEMORY'
        ? new RunnerError('too-large', `The local runner ran out of memory (worker limit ${this.opts.maxMemoryMb ?? 2048} MB).`, 'Send fewer or smaller instances per request.')
        : new RunnerError('engine', `The local runner's worker failed: ${err.message}.`);
      void this.kill(e);
    });
    w.on('exit', () => {
      if (this.worker === w) void this.kill(new RunnerError('engine', 'The local runner\'s worker stopped.'));
    });
    this.worker = w;
    return w;
  }

  private async kill(reason: Error): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    this.opened = undefined;
    for (const p of this.pending.values()) p.reject(reason);
    this.pending.clear();
    if (w) await w.terminate().catch(() => undefined);
  }

  private call(msg: ToWorker, signal?: AbortSignal): Promise<FromWorker> {
    if (signal?.aborted) return Promise.reject(cancelled());
    const w = this.spawn();
    const id = this.nextId++;
    return new Promise<FromWorker>((resolve, reject) => {
      const onAbort = () => {
        // The worker may be deep inside a kernel: terminating it is the only interruption there is.
        void this.kill(cancelled());
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, {
        resolve: (v) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(v);
        },
        reject: (e) => {
          signal?.removeEventListener('abort', onAbort);
          reject(e);
        },
      });
      w.ref();
      w.postMessage({ ...msg, id });
    });
  }
}
