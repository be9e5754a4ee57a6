/**
 * The local runner's public API (pure Node; TensorFlow.js loads on first use, in a worker for
 * RunnerHost, batch and the server; in-process for predict/explain below).
 *
 *   predict(model, body, opts)        → PredictResult  { body: the service's response body, ... }
 *   explain(model, body, opts)        → ExplainResult  { body: Vertex's ExplainResponse, ... }
 *   new RunnerHost({ model })         the engine in a worker: .info(), .predict(), .explain(), .close()
 *   runBatch({ model, input, output }) JSON Lines → JSON Lines, 1–2 workers
 *   startLocalServer({ model, name, port, signal }) → { url, close() }
 */
import { Engine, type OpenOptions } from './engine';
import { explainWithEngine, type ExplainOptions, type ExplainResult } from './explain';
import { predictWithEngine, type PredictOptions, type PredictResult } from './predict';
import { RunnerHost } from './host';

export { Engine, MAX_INPUT_ELEMENTS, type OpenOptions, type RunResult } from './engine';
export { RunnerError, type RunnerReason } from './errors';
export { explainWithEngine, type Attribution, type ExplainMethod, type ExplainOptions, type ExplainResult } from './explain';
export { predictWithEngine, type Method, type PredictOptions, type PredictResult, type ResponseFormat } from './predict';
export { RunnerHost, workerScript, type RunnerHostOptions } from './host';
export type { ModelInfo } from './protocol';
export { runBatch, type BatchOptions, type BatchProgress, type BatchResult } from './batch';
export { startLocalServer, signatureDefMap, type LocalServer, type LocalServerOptions } from './server';
export { loadTf, wasmDir, type BackendName } from './tfjs';

const engines = new Map<string, Promise<Engine>>();

/** An engine per model path and version, kept for the process (in-process use: CLI, tests). */
export function engineFor(model: string, opts: OpenOptions = {}): Promise<Engine> {
  const key = `${model}\u0000${opts.version ?? ''}\u0000${opts.backend ?? ''}`;
  let e = engines.get(key);
  if (!e) {
    e = Engine.open(model, opts);
    e.catch(() => engines.delete(key));
    engines.set(key, e);
  }
  return e;
}

/** Runs one request body on a model in this process. */
export async function predict(model: string, body: string | object, opts: PredictOptions & OpenOptions = {}): Promise<PredictResult> {
  const engine = await engineFor(model, { ...(opts.version !== undefined ? { version: opts.version } : {}), ...(opts.backend ? { backend: opts.backend } : {}) });
  return predictWithEngine(engine, body, opts);
}

/** Explains one Vertex-style body on a model in this process. */
export async function explain(model: string, body: string | object, opts: ExplainOptions & OpenOptions = {}): Promise<ExplainResult> {
  const engine = await engineFor(model, { ...(opts.version !== undefined ? { version: opts.version } : {}), ...(opts.backend ? { backend: opts.backend } : {}) });
  return explainWithEngine(engine, body, opts);
}

/**
 * A Predictor for the Google API emulator (test/emulator/types.ts): one RunnerHost (worker) per
 * model folder, TF Serving's answer bodies; refusals carry `status: 400`.
 */
export function createLocalPredictor(): {
  predict(modelDir: string, body: Record<string, unknown>, o: { signature: string; method: 'predict' | 'classify' | 'regress' }): Promise<Record<string, unknown>>;
  explain(modelDir: string, body: Record<string, unknown>, o: { signature: string }): Promise<Record<string, unknown>>;
  close(): Promise<void>;
} {
  const hosts = new Map<string, RunnerHost>();
  const host = (dir: string) => {
    let h = hosts.get(dir);
    if (!h) hosts.set(dir, (h = new RunnerHost({ model: dir })));
    return h;
  };
  return {
    predict: async (dir, body, o) => (await host(dir).predict(body, { signature: o.signature, method: o.method })).body,
    explain: async (dir, body, o) => {
      const b = await host(dir).explain(body, { signature: o.signature });
      return b.body as unknown as Record<string, unknown>;
    },
    close: async () => {
      await Promise.all([...hosts.values()].map((h) => h.close()));
      hosts.clear();
    },
  };
}
