#!/usr/bin/env node
// `npm start`: build, then open samples/ in VS Code with the development extension loaded, and keep
// rebuilding on change (esbuild watch) until Ctrl-C. Reload the window to pick up a rebuild.
//   - desktop: when a `code` binary is on PATH → `code --extensionDevelopmentPath=<repo> samples`
//   - otherwise: code-server (installed by scripts/setup-code-server.mjs) on 127.0.0.1; prints the URL
// Options: --web (use code-server even when `code` exists), --port N (code-server port; default
// SERVELENS_PORT or a free one), --emulator-port N (the Google API emulator; default a free one),
// --no-watch.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { setInterval, clearInterval } from 'node:timers';
import { fileURLToPath } from 'node:url';
import {
  createSandbox, remoteUri, startCodeServer, testEnvironment, workbenchUrl,
} from '../test/runners/code-server.mjs';

const root = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');
const samples = join(root, 'samples');
const args = process.argv.slice(2);
const web = args.includes('--web');
const watch = !args.includes('--no-watch');
const portArg = args.indexOf('--port');
const port = Number(portArg >= 0 ? args[portArg + 1] : process.env.SERVELENS_PORT ?? 0) || 0;

function which(name) {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/**
 * Local services the demo needs, started before the editor and stopped on exit: the emulator of the
 * Google APIs (test/emulator, built to out/ by the build above) on 127.0.0.1 with the sample state.
 * The editor inherits `env`: SERVELENS_API_ENDPOINT points the extension's clients at the emulator
 * and GCE_METADATA_HOST lets Application Default Credentials take their token from the emulator's
 * metadata server. The demo emulator accepts any token (a real ADC token on this machine included);
 * tests use the strict sample state. Emulator port: --emulator-port N or SERVELENS_EMULATOR_PORT.
 * @returns {Promise<{ env: Record<string, string>, stop: () => Promise<void> }>}
 */
async function startServices() {
  const require = createRequire(import.meta.url);
  const { startEmulator } = require(join(root, 'out', 'test', 'emulator', 'server.js'));
  const { loadState, defaultFixturesDir } = require(join(root, 'out', 'test', 'emulator', 'state.js'));
  const fixturesDir = defaultFixturesDir();
  const state = loadState(undefined, fixturesDir);
  state.auth = { ...state.auth, required: false };
  const emuArg = args.indexOf('--emulator-port');
  const emulatorPort = Number(emuArg >= 0 ? args[emuArg + 1] : process.env.SERVELENS_EMULATOR_PORT ?? 0) || 0;
  // Its prediction routes run the fixture models with the local runner (TensorFlow.js workers).
  const { createLocalPredictor } = require(join(root, 'out', 'src', 'core', 'runner', 'index.js'));
  const predictor = createLocalPredictor();
  const emulator = await startEmulator({ port: emulatorPort, state, fixturesDir, predictor });
  console.log(`ServeLens emulator listening on ${emulator.url} (predictions run on the local runner)`);
  return {
    env: {
      ...testEnvironment(),
      SERVELENS_API_ENDPOINT: emulator.url,
      GCE_METADATA_HOST: `127.0.0.1:${emulator.port}`,
      // Ask only the emulator's metadata server (testEnvironment() turns detection off).
      METADATA_SERVER_DETECTION: 'ping-only',
      // The TF Serving view lists the emulator's TF Serving models (the setting, when set, wins).
      SERVELENS_TF_SERVING_SERVERS: JSON.stringify(
        (state.tfServing ?? []).map((s) => ({
          name: `emulator${s.prefix || ''}`,
          url: `${emulator.url}${s.prefix || ''}`,
          models: s.models.map((m) => m.name),
        })),
      ),
    },
    stop: () => emulator.close().then(() => predictor.close()),
  };
}

const cleanups = [];
let stopping = false;
async function shutdown(code) {
  if (stopping) return;
  stopping = true;
  for (const fn of cleanups.reverse()) await fn().catch((err) => console.error(String(err)));
  process.exit(code);
}
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

const build = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

const services = await startServices();
cleanups.push(services.stop);

if (watch) {
  const watcher = spawn(process.execPath, [join(root, 'scripts', 'build.mjs'), '--watch'], { cwd: root, stdio: 'inherit' });
  cleanups.push(async () => { watcher.kill('SIGTERM'); });
}

const code = web ? undefined : which('code');
if (code) {
  console.log(`[start] opening samples/ in VS Code (${code}) with the extension from ${root}`);
  const child = spawn(code, ['--new-window', '--wait', `--extensionDevelopmentPath=${root}`, samples], {
    stdio: 'inherit',
    env: { ...process.env, ...services.env },
  });
  console.log('[start] close the window or press Ctrl-C to stop');
  child.on('exit', () => void shutdown(0));
} else {
  const sandbox = createSandbox('sls-');
  cleanups.push(async () => sandbox.remove());
  const server = await startCodeServer({ sandbox, port, env: services.env });
  cleanups.push(server.stop); // cleanups run last-in first-out: the server stops before its sandbox goes
  const url = workbenchUrl(server, samples, [['extensionDevelopmentPath', remoteUri(server, root)]]);
  console.log(`\n[start] code-server ${server.origin} (log: ${server.logFile})`);
  console.log(`[start] open this URL (samples/ with the development extension):\n\n  ${url}\n`);
  console.log('[start] Ctrl-C to stop');
  const poll = setInterval(() => {
    if (server.exited()) {
      clearInterval(poll);
      console.error(`[start] code-server exited: ${JSON.stringify(server.exited())}`);
      void shutdown(1);
    }
  }, 1000);
}
