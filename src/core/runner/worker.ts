/**
 * The engine worker (an esbuild entry: dist/runnerWorker.js; out/src/core/runner/worker.js in tests).
 * One engine per worker; messages are handled one at a time, in order.
 */
import { parentPort } from 'node:worker_threads';
import { Engine } from './engine';
import { toRunnerErrorData } from './errors';
import { explainWithEngine } from './explain';
import { predictWithEngine } from './predict';
import type { FromWorker, ToWorker } from './protocol';

let engine: Engine | undefined;
let queue: Promise<void> = Promise.resolve();

function send(m: FromWorker): void {
  parentPort!.postMessage(m);
}

async function handle(m: ToWorker): Promise<void> {
  try {
    if (m.type === 'open') {
      await engine?.dispose();
      engine = await Engine.open(m.model, { ...(m.version !== undefined ? { version: m.version } : {}), ...(m.backend ? { backend: m.backend } : {}) });
      const r = engine.resolved;
      send({ type: 'opened', id: m.id, info: { format: engine.format, file: r.file, dir: r.dir, ...(r.version !== undefined ? { version: r.version } : {}), ...(r.versions ? { versions: r.versions } : {}), signatures: engine.signatures } });
      return;
    }
    if (!engine) throw new Error('no model is open in this worker');
    if (m.type === 'predict') send({ type: 'predicted', id: m.id, result: await predictWithEngine(engine, m.body, m.opts) });
    else send({ type: 'explained', id: m.id, result: await explainWithEngine(engine, m.body, m.opts) });
  } catch (err) {
    send({ type: 'error', id: m.id, error: toRunnerErrorData(err) });
  }
}

if (parentPort) {
  parentPort.on('message', (m: ToWorker) => {
    queue = queue.then(() => handle(m));
  });
}
