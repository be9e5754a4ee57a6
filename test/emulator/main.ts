/**
 * `node out/test/emulator/main.js [--port N] [--state FILE] [--fixtures DIR] [--no-runner]` (or
 * `npm run emulator`): runs the emulator until Ctrl-C and prints
 * `ServeLens emulator listening on http://127.0.0.1:PORT`. Its prediction routes (Vertex AI,
 * AI Platform and TF Serving :predict/:explain/:classify/:regress) run the fixture models with the
 * local runner (TensorFlow.js, one worker per model); with --no-runner they answer 501.
 */
import { createLocalPredictor } from '../../src/core/runner';
import { startEmulator } from './server';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const portArg = arg('--port');
  const port = portArg === undefined ? 0 : Number(portArg);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`--port: expected a port number, got ${portArg}`);
    process.exit(2);
  }
  const predictor = process.argv.includes('--no-runner') ? undefined : createLocalPredictor();
  const emu = await startEmulator({ port, state: arg('--state'), fixturesDir: arg('--fixtures'), ...(predictor ? { predictor } : {}) });
  console.log(`ServeLens emulator listening on ${emu.url}${predictor ? '' : ' (no local runner: predictions answer 501)'}`);
  const stop = () => void emu.close().then(() => predictor?.close()).then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(`ServeLens emulator: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
