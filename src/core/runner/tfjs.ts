/**
 * TensorFlow.js, loaded lazily: nothing here runs at module load, so importing the runner (from the
 * extension host at activation, or the CLI) costs nothing until a model is actually run.
 *
 * Backend: wasm with SIMD and without threads (no SharedArrayBuffer, no worker pool of its own),
 * falling back to the pure-JS cpu backend when the wasm module cannot be initialised.
 * The .wasm files are looked for beside the running bundle (dist/, where scripts/build.mjs copies
 * them for the packaged extension) and then in the installed @tensorflow/tfjs-backend-wasm package.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export type Tf = typeof import('@tensorflow/tfjs-core');
export type TfConverter = typeof import('@tensorflow/tfjs-converter');
export type BackendName = 'wasm' | 'cpu';

export interface TfRuntime {
  tf: Tf;
  converter: TfConverter;
  backend: BackendName;
  /** Why wasm was not used, when the cpu backend runs. */
  fallbackReason?: string;
}

const WASM_SIMD = 'tfjs-backend-wasm-simd.wasm';

/** The folder that holds the wasm binaries, or undefined when none is found. */
export function wasmDir(): string | undefined {
  const candidates: string[] = [__dirname, join(__dirname, '..'), join(__dirname, 'wasm')];
  try {
    candidates.push(join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist'));
  } catch {
    // not installed beside us (the packaged extension): only the bundle's folder counts
  }
  return candidates.find((d) => existsSync(join(d, WASM_SIMD)));
}

let loading: Promise<TfRuntime> | undefined;
let wanted: BackendName | undefined;

/**
 * Loads TensorFlow.js once per process (or worker) and initialises the backend. `prefer` 'cpu'
 * skips wasm (used by the benchmark for comparison figures).
 */
export function loadTf(prefer: BackendName = 'wasm'): Promise<TfRuntime> {
  if (loading && wanted === prefer) return loading;
  wanted = prefer;
  const previous = loading;
  loading = (async () => {
    if (previous) await previous.catch(() => undefined);
    const tf = await import('@tensorflow/tfjs-core');
    await import('@tensorflow/tfjs-backend-cpu');
    const converter = await import('@tensorflow/tfjs-converter');
    // Keep tfjs quiet: no "Hi there" banner about tfjs-node, no kernel registration warnings.
    tf.env().set('IS_NODE', true);
    tf.env().set('PROD', true);
    let fallbackReason: string | undefined;
    if (prefer === 'wasm') {
      try {
        const wasm = await import('@tensorflow/tfjs-backend-wasm');
        const dir = wasmDir();
        if (!dir) throw new Error(`${WASM_SIMD} was found neither beside the runner nor in node_modules`);
        tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
        wasm.setWasmPaths(dir.endsWith('/') ? dir : `${dir}/`);
        if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend did not initialise');
        await tf.ready();
        return { tf, converter, backend: 'wasm' as const };
      } catch (err) {
        fallbackReason = err instanceof Error ? err.message : String(err);
      }
    }
    await tf.setBackend('cpu');
    await tf.ready();
    return { tf, converter, backend: 'cpu' as const, ...(fallbackReason ? { fallbackReason } : {}) };
  })();
  return loading;
}

let gradients = false;

/**
 * Registers TensorFlow.js's gradient functions (needed by tf.grads, i.e. integrated gradients).
 * The node build of tfjs-core ships none; scripts/build.mjs bundles tfjs-core's own
 * register_all_gradients beside the runner. They register into tfjs's global registry.
 */
export function ensureGradients(): boolean {
  if (gradients) return true;
  const file = [join(__dirname, 'tfjs-gradients.js'), join(__dirname, '..', 'tfjs-gradients.js')].find((f) => existsSync(f));
  if (!file) return false;
  createRequire(__filename)(file);
  gradients = true;
  return true;
}
