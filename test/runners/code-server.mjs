// Shared plumbing for the runners that drive real VS Code through code-server + Playwright:
// an isolated sandbox, the server process (its own process group), and a headless Chromium.
// Used by test/runners/integration.mjs, test/runners/e2e.mjs and scripts/start.mjs.
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, URLSearchParams } from 'node:url';
/* global fetch, AbortSignal -- Node 20 globals */
import { ensureCodeServer } from '../../scripts/setup-code-server.mjs';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');
export const resultsDir = join(repoRoot, 'test-results');

/** Seconds from an env var, or the default. */
export function secondsFromEnv(name, fallback) {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? v : fallback;
}

/** Environment the extension host needs in tests (it inherits code-server's environment). */
export function testEnvironment() {
  return {
    // Application Default Credentials must never look for the metadata server at 169.254.169.254:
    // tests reach 127.0.0.1 only. Suites that sign in through the emulator's metadata server set
    // GCE_METADATA_HOST and METADATA_SERVER_DETECTION=ping-only themselves.
    METADATA_SERVER_DETECTION: 'none',
    SERVELENS_FIXTURES: process.env.SERVELENS_FIXTURES
      ? resolve(process.env.SERVELENS_FIXTURES)
      : resolve(repoRoot, '..', 'shared', 'fixtures'),
  };
}

/**
 * A fresh temp folder holding everything VS Code would write: HOME, XDG dirs, the config file,
 * the user data dir (kept short: it holds a Unix socket) and the extensions dir.
 */
export function createSandbox(prefix = 'sl-') {
  const base = mkdtempSync(join(tmpdir(), prefix));
  const dirs = {
    base,
    home: join(base, 'h'),
    config: join(base, 'c'),
    data: join(base, 'd'),
    cache: join(base, 'k'),
    userData: join(base, 'u'),
    extensions: join(base, 'e'),
  };
  for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true });
  mkdirSync(join(dirs.userData, 'User'), { recursive: true });
  // Quiet, deterministic workbench: nothing opens on its own, nothing reaches out.
  writeFileSync(join(dirs.userData, 'User', 'settings.json'), JSON.stringify({
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'workbench.enableExperiments': false,
    'security.workspace.trust.enabled': false,
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'extensions.ignoreRecommendations': true,
    'telemetry.telemetryLevel': 'off',
    'update.mode': 'none',
    'git.enabled': false,
    'chat.commandCenter.enabled': false,
    'workbench.colorTheme': 'Default Dark Modern',
  }, null, 2));
  const configFile = join(dirs.config, 'config.yaml');
  writeFileSync(configFile, 'auth: none\ncert: false\n');
  return {
    ...dirs,
    configFile,
    remove() {
      // Processes of the stopped server may still be closing their files for a moment.
      try {
        rmSync(base, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
      } catch (err) {
        console.warn(`[code-server] could not remove the sandbox ${base}: ${err.message}`);
      }
    },
  };
}

function serverEnv(sandbox, extraEnv) {
  const env = { ...process.env, ...extraEnv };
  // Never let a developer's VS Code session leak in (e.g. when run from its terminal).
  for (const k of Object.keys(env)) {
    if (k.startsWith('VSCODE_') || k === 'ELECTRON_RUN_AS_NODE') delete env[k];
  }
  return {
    ...env,
    HOME: sandbox.home,
    XDG_CONFIG_HOME: sandbox.config,
    XDG_DATA_HOME: sandbox.data,
    XDG_CACHE_HOME: sandbox.cache,
    EXTENSIONS_GALLERY: '{}',
  };
}

/** `code-server --install-extension <vsix>` into the sandbox's extensions dir. */
export function installExtension(sandbox, vsix) {
  const entry = ensureCodeServer();
  const r = spawnSync(process.execPath, [entry,
    '--config', sandbox.configFile,
    '--user-data-dir', sandbox.userData,
    '--extensions-dir', sandbox.extensions,
    '--install-extension', vsix, '--force'], {
    env: serverEnv(sandbox, {}),
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (r.status !== 0) {
    throw new Error(`installing ${vsix} failed (exit ${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
  }
  return r.stdout.trim();
}

/**
 * Starts code-server detached in its own process group on 127.0.0.1 (a free port unless `port` is
 * given), waits for /healthz, and returns { port, origin, logFile, stop() }.
 */
export async function startCodeServer({ sandbox, env = {}, port = 0, logFile, timeoutMs = 90_000, extraArgs = [] }) {
  const entry = ensureCodeServer();
  mkdirSync(resultsDir, { recursive: true });
  const log = logFile ?? join(sandbox.base, 'code-server.log');
  const out = createWriteStream(log);
  const child = spawn(process.execPath, [entry,
    '--config', sandbox.configFile,
    '--bind-addr', `127.0.0.1:${port}`,
    '--auth', 'none',
    '--user-data-dir', sandbox.userData,
    '--extensions-dir', sandbox.extensions,
    '--disable-workspace-trust',
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-getting-started-override',
    '--ignore-last-opened',
    ...extraArgs,
  ], {
    env: serverEnv(sandbox, env),
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  let exited = null;
  const onData = (chunk) => {
    out.write(chunk);
    text += chunk.toString();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exitPromise = new Promise((res) => child.on('exit', (code, signal) => {
    exited = { code, signal };
    res(exited);
  }));

  let stopping;
  const stop = () => (stopping ??= stopNow());
  const stopNow = async () => {
    if (exited === null) {
      try { process.kill(-child.pid, 'SIGTERM'); } catch { /* already gone */ }
      const timer = setTimeout(() => {
        try { process.kill(-child.pid, 'SIGKILL'); } catch { /* already gone */ }
      }, 5000);
      await exitPromise;
      clearTimeout(timer);
    }
    // Children (extension host, pty host) share the group: make sure none is left.
    try { process.kill(-child.pid, 'SIGKILL'); } catch { /* group empty */ }
    await new Promise((r) => out.end(r));
  };

  const deadline = Date.now() + timeoutMs;
  let listenPort;
  while (!listenPort) {
    const m = /HTTP server listening on https?:\/\/[^\s:]+:(\d+)/.exec(text);
    if (m) listenPort = Number(m[1]);
    else if (exited) throw new Error(`code-server exited early (${JSON.stringify(exited)}); log: ${log}\n${text}`);
    else if (Date.now() > deadline) {
      await stop();
      throw new Error(`code-server did not start within ${timeoutMs} ms; log: ${log}`);
    } else await new Promise((r) => setTimeout(r, 100));
  }
  const origin = `http://127.0.0.1:${listenPort}`;
  for (;;) {
    try {
      const res = await fetch(`${origin}/healthz`, { signal: AbortSignal.timeout(2000) });
      if (res.ok) break;
    } catch { /* not up yet */ }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`code-server /healthz did not answer within ${timeoutMs} ms; log: ${log}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { port: listenPort, origin, logFile: log, log: () => text, stop, exited: () => exited };
}

/** Debian's Chromium (or SERVELENS_CHROMIUM), headless, with the flags that work in CI. */
export async function launchBrowser() {
  const executablePath = process.env.SERVELENS_CHROMIUM ?? '/usr/bin/chromium';
  if (!existsSync(executablePath)) {
    throw new Error(`no Chromium at ${executablePath}: apt-get install chromium, or set SERVELENS_CHROMIUM`);
  }
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--disable-dev-shm-usage'],
  });
}

/** The workbench URL for a folder, with optional development/test payload entries. */
export function workbenchUrl(server, folder, payload = []) {
  const q = new URLSearchParams({ folder });
  if (payload.length) q.set('payload', JSON.stringify(payload));
  return `${server.origin}/?${q.toString()}`;
}

/** A `vscode-remote://` URI for a path on the server, as the workbench's payload expects. */
export function remoteUri(server, absPath) {
  return `vscode-remote://127.0.0.1:${server.port}${absPath}`;
}

export function readText(path) {
  return existsSync(path) ? readFileSync(path, 'utf8') : '';
}
