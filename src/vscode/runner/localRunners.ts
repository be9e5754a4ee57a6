/**
 * The editor's local runners: one RunnerHost (the engine in a worker thread) per model path,
 * created on first use, so TensorFlow.js loads in a worker when a model first runs and never at
 * activation. `predict` is the LocalPredict that send() takes for local targets; every run
 * (loading included) is bounded by a time-out and stops on the caller's AbortSignal.
 *
 * Plain Node (no `vscode`): the shell passes the time-out setting in as a function.
 */
import { resolve } from 'node:path';
import type { PredictCall } from '../../core/cloud/predict';
import type { Signature } from '../../core/model/types';
import type { LocalPredict } from '../../core/predict/target';
import { cancelled, RunnerError } from '../../core/runner/errors';
import { RunnerHost, type RunnerHostOptions } from '../../core/runner/host';
import type { ModelInfo } from '../../core/runner/protocol';
import { vertexExplainOptions } from '../../core/runner/explainOptions';
import { toPredictCall } from './plan';

/** What LocalRunners needs of a host (RunnerHost; a substitute in tests). */
export type RunnerLike = Pick<RunnerHost, 'info' | 'predict' | 'explain' | 'close'>;

export interface LocalRunnersOptions {
  /** The time-out of one run, loading included (ms); read on every run. */
  timeoutMs(): number;
  /** Where the setting lives, for the time-out message. */
  timeoutSetting?: string;
  log?(message: string): void;
  /** Builds a host (default: a RunnerHost with the default worker script). */
  createHost?(opts: RunnerHostOptions): RunnerLike;
}

export class LocalRunners {
  readonly #hosts = new Map<string, RunnerLike>();
  readonly #opts: LocalRunnersOptions;
  #disposed = false;

  constructor(opts: LocalRunnersOptions) {
    this.#opts = opts;
  }

  /** Models with a host now (absolute paths). */
  loaded(): string[] {
    return [...this.#hosts.keys()];
  }

  #host(modelPath: string): RunnerLike {
    if (this.#disposed) throw new RunnerError('cancelled', 'The local runner was stopped (the extension is shutting down).');
    const key = resolve(modelPath);
    let h = this.#hosts.get(key);
    if (!h) {
      h = this.#opts.createHost?.({ model: key }) ?? new RunnerHost({ model: key });
      this.#hosts.set(key, h);
      this.#opts.log?.(`worker for ${key} created`);
    }
    return h;
  }

  /** Closes and forgets a model's host (the next run starts a fresh one). */
  async #drop(modelPath: string): Promise<void> {
    const key = resolve(modelPath);
    const h = this.#hosts.get(key);
    this.#hosts.delete(key);
    await h?.close().catch(() => undefined);
  }

  /**
   * Runs `work` on the model's host within the time-out: the model is opened first (a load
   * interrupted by the time-out or the caller closes the host), then `work` gets a signal that
   * aborts on either.
   */
  async #run<T>(modelPath: string, signal: AbortSignal | undefined, work: (host: RunnerLike, info: ModelInfo, signal: AbortSignal) => Promise<T>): Promise<T> {
    if (signal?.aborted) throw cancelled();
    const limitMs = Math.max(1, this.#opts.timeoutMs());
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), limitMs);
    const both = signal ? AbortSignal.any([signal, timeout.signal]) : timeout.signal;
    try {
      const host = this.#host(modelPath);
      const info = await new Promise<ModelInfo>((ok, fail) => {
        const onAbort = () => {
          void this.#drop(modelPath);
          fail(cancelled());
        };
        both.addEventListener('abort', onAbort, { once: true });
        host.info().then(
          (i) => {
            both.removeEventListener('abort', onAbort);
            ok(i);
          },
          (err: unknown) => {
            both.removeEventListener('abort', onAbort);
            fail(err instanceof Error ? err : new Error(String(err)));
          },
        );
      });
      return await work(host, info, both);
    } catch (err) {
      if (timeout.signal.aborted && !signal?.aborted) {
        const limit = limitMs < 1000 ? `${limitMs} ms` : `${Math.round(limitMs / 100) / 10} s`;
        throw new RunnerError(
          'cancelled',
          `The local run of ${modelPath} did not finish within ${limit} (the model's loading included) and was stopped.`,
          `Raise ${this.#opts.timeoutSetting ?? 'the time-out'}, or send fewer or smaller instances.`,
        );
      }
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  /** The LocalPredict of send(): the runner's answer as the PredictCall a service would give. */
  readonly predict: LocalPredict = (modelPath, body, op, opts) =>
    this.#run(modelPath, opts.signal, async (host, _info, signal): Promise<PredictCall> => {
      const t0 = performance.now();
      const base = opts.signature !== undefined ? { signature: opts.signature, signal } : { signal };
      const answer =
        op === 'explain'
          ? (await host.explain(body, { ...base, ...vertexExplainOptions(body) })).body
          : (await host.predict(body, opts.method ? { ...base, method: opts.method } : base)).body;
      const latencyMs = Math.round(performance.now() - t0);
      this.#opts.log?.(`${op} on ${modelPath}: ${latencyMs} ms`);
      return toPredictCall(answer as unknown as Record<string, unknown>, body, latencyMs, modelPath);
    });

  /** The model's signatures (serving tag-set) as the runner sees them; opens the model. */
  signatures(modelPath: string, signal?: AbortSignal): Promise<Signature[]> {
    return this.#run(modelPath, signal, async (_host, info) => info.signatures);
  }

  /** Closes every worker. */
  dispose(): void {
    this.#disposed = true;
    const hosts = [...this.#hosts.values()];
    this.#hosts.clear();
    for (const h of hosts) void h.close().catch(() => undefined);
  }
}
