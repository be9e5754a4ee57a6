#!/usr/bin/env node
// Runs the mocha suites in test/integration/ inside a real VS Code extension host.
//
//   SERVELENS_TEST_RUNNER=code-server (default)  code-server + headless Chromium, fully offline
//   SERVELENS_TEST_RUNNER=electron               desktop VS Code through @vscode/test-electron
//                                                (downloads VS Code into .vscode-test/ the first time)
// With no setting, desktop VS Code is used only when a copy was already downloaded into .vscode-test/
// and a display is available; nothing probes the network.
//
// Env: SERVELENS_TEST_TIMEOUT (seconds for the whole suite, default 300), SERVELENS_FIXTURES,
//      SERVELENS_CHROMIUM (browser binary), SERVELENS_KEEP_SANDBOX=1 (keep the temp folder).
// Expects `node scripts/build.mjs` to have run (dist/ and out/test/integration/index.js).
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setInterval, clearInterval } from 'node:timers';
import { format } from 'node:util';
import {
  createSandbox, launchBrowser, remoteUri, repoRoot, resultsDir, secondsFromEnv, startCodeServer,
  testEnvironment, workbenchUrl,
} from './code-server.mjs';
import { ensureCodeServer } from '../../scripts/setup-code-server.mjs';

const suiteIndex = join(repoRoot, 'out', 'test', 'integration', 'index.js');
const workspace = join(repoRoot, 'samples');

function chooseRunner() {
  const asked = process.env.SERVELENS_TEST_RUNNER;
  if (asked === 'electron' || asked === 'code-server') return asked;
  if (asked) throw new Error(`SERVELENS_TEST_RUNNER must be "electron" or "code-server", not "${asked}"`);
  const cached = existsSync(join(repoRoot, '.vscode-test')) &&
    readdirSync(join(repoRoot, '.vscode-test')).some((d) => d.startsWith('vscode-'));
  const display = process.platform !== 'linux' || Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);
  return cached && display ? 'electron' : 'code-server';
}

async function runElectron() {
  const { runTests } = await import('@vscode/test-electron');
  return runTests({
    extensionDevelopmentPath: repoRoot,
    extensionTestsPath: suiteIndex,
    extensionTestsEnv: testEnvironment(),
    launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust', '--skip-welcome',
      '--skip-release-notes'],
  }).then(() => 0, (err) => {
    console.error(`[integration] ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  });
}

async function runCodeServer() {
  ensureCodeServer(); // a first-time install (minutes) does not count against the suite's time-out
  const timeoutMs = secondsFromEnv('SERVELENS_TEST_TIMEOUT', 300) * 1000;
  const started = Date.now();
  for (const f of ['integration-failure.png', 'integration-failure.txt', 'integration-code-server.log']) {
    rmSync(join(resultsDir, f), { force: true });
  }
  const sandbox = createSandbox('sli-');
  let server;
  let browser;
  let page;
  let code = 1;
  let reason = '';
  // The browser's console (workbench and webview frames), kept on a failure: the last 1000 lines.
  const browserConsole = [];
  try {
    server = await startCodeServer({ sandbox, env: testEnvironment() });
    console.log(`[integration] code-server on ${server.origin} (started in ${Date.now() - started} ms)`);
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });

    let settle;
    let settled = false;
    const exited = new Promise((res) => { settle = res; });
    await page.exposeFunction('codeAutomationLog', (type, args) => {
      if (settled) return; // the workbench's reconnect chatter after the host is gone
      const line = Array.isArray(args) ? format(...args) : format(args);
      if (type === 'error') console.error(line);
      else console.log(line);
    });
    await page.exposeFunction('codeAutomationExit', (exitCode) => {
      settled = true;
      settle(Number(exitCode));
    });
    // Workbench errors (not the extension host's) are useful when the suite never starts.
    const pageErrors = [];
    page.on('pageerror', (err) => pageErrors.push(String(err)));
    page.on('console', (m) => {
      browserConsole.push(`${new Date().toISOString()} [${m.type()}] ${m.text()}`);
      if (browserConsole.length > 1000) browserConsole.shift();
    });

    const url = workbenchUrl(server, workspace, [
      ['extensionDevelopmentPath', remoteUri(server, repoRoot)],
      ['extensionTestsPath', remoteUri(server, suiteIndex)],
      ['skipWelcome', 'true'],
    ]);
    await page.goto(url);

    let timer;
    const timedOut = new Promise((res) => { timer = setTimeout(() => res('timeout'), timeoutMs - (Date.now() - started)); });
    const serverGone = new Promise((res) => {
      const poll = setInterval(() => { if (server.exited()) { clearInterval(poll); res('server-exit'); } }, 500);
      exited.finally(() => clearInterval(poll));
    });
    const outcome = await Promise.race([exited, timedOut, serverGone]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      reason = `the suite did not finish within ${timeoutMs / 1000} s (SERVELENS_TEST_TIMEOUT)`;
      if (pageErrors.length) reason += `\nworkbench errors:\n  ${pageErrors.slice(0, 10).join('\n  ')}`;
    } else if (outcome === 'server-exit') {
      reason = `code-server exited during the run: ${JSON.stringify(server.exited())}`;
    } else {
      code = outcome;
      if (code !== 0) reason = `the suite exited with ${code}`;
    }
  } catch (err) {
    reason = err instanceof Error ? err.stack ?? err.message : String(err);
  } finally {
    if (code !== 0) {
      mkdirSync(resultsDir, { recursive: true });
      if (page) {
        await page.screenshot({ path: join(resultsDir, 'integration-failure.png'), timeout: 10_000 }).catch(() => {});
      }
      await browser?.close().catch(() => {});
      if (server) {
        await server.stop().catch(() => {});
        copyFileSync(server.logFile, join(resultsDir, 'integration-code-server.log'));
      }
      writeFileSync(join(resultsDir, 'integration-failure.txt'), `${reason}\n`);
      writeFileSync(join(resultsDir, 'integration-browser-console.txt'), `${browserConsole.join('\n')}\n`);
      console.error(`[integration] FAILED: ${reason}`);
      console.error(`[integration] kept ${join('test-results', 'integration-failure.png')} and integration-code-server.log`);
    }
    await browser?.close().catch(() => {});
    await server?.stop().catch(() => {});
    if (process.env.SERVELENS_KEEP_SANDBOX) console.log(`[integration] sandbox kept: ${sandbox.base}`);
    else sandbox.remove();
  }
  console.log(`[integration] ${code === 0 ? 'passed' : 'failed'} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return code;
}

if (!existsSync(suiteIndex)) {
  console.error(`[integration] ${suiteIndex} is missing: run \`node scripts/build.mjs\` first`);
  process.exit(1);
}
const runner = chooseRunner();
console.log(`[integration] runner: ${runner}`);
const code = runner === 'electron' ? await runElectron() : await runCodeServer();
process.exit(code);
