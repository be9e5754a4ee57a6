#!/usr/bin/env node
// End to end: the PACKAGED servelens.vsix installed into code-server, driven by headless Chromium
// the way a person would use it. One server and one browser are shared; every scenario gets a fresh
// workbench page (so a fresh extension host) opened on samples/.
//
// Scenarios are the files test/e2e/scenarios/*.mjs, run in name order. Each exports:
//   export const name = 'servelens-view';            // used in screenshot names
//   export async function run({ page, workbench, shot, log }) { ... }   // throw to fail
// `workbench` is test/e2e/workbench.mjs bound to the page (activity bar, command palette, ...);
// `shot(label)` saves test-results/e2e-<name>[-label].png and returns its path.
//
// Env: SERVELENS_E2E_GREP (only scenarios whose name matches), SERVELENS_E2E_TIMEOUT (seconds per
//      scenario, default 120), SERVELENS_CHROMIUM, SERVELENS_FIXTURES, SERVELENS_KEEP_SANDBOX=1.
// Expects `npm run package` to have written servelens.vsix (npm run test:e2e does both).
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  createSandbox, installExtension, launchBrowser, repoRoot, resultsDir, secondsFromEnv, startCodeServer,
  testEnvironment, workbenchUrl,
} from './code-server.mjs';
import { Workbench } from '../e2e/workbench.mjs';

const vsix = join(repoRoot, 'servelens.vsix');
const workspace = join(repoRoot, 'samples');
const scenarioDir = join(repoRoot, 'test', 'e2e', 'scenarios');

async function loadScenarios() {
  const grep = process.env.SERVELENS_E2E_GREP ? new RegExp(process.env.SERVELENS_E2E_GREP) : undefined;
  const list = [];
  for (const file of readdirSync(scenarioDir).filter((f) => f.endsWith('.mjs')).sort()) {
    const mod = await import(pathToFileURL(join(scenarioDir, file)).href);
    if (typeof mod.name !== 'string' || typeof mod.run !== 'function') {
      throw new Error(`${file} must export \`name\` (string) and \`run\` (async function)`);
    }
    if (!grep || grep.test(mod.name)) list.push({ file, name: mod.name, run: mod.run });
  }
  return list;
}

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms / 1000} s`)), ms); }),
  ]).finally(() => clearTimeout(timer));
}

async function main() {
  if (!existsSync(vsix)) {
    console.error(`[e2e] ${vsix} is missing: run \`npm run package\` (npm run test:e2e does)`);
    return 1;
  }
  console.log(`[e2e] servelens.vsix: ${(statSync(vsix).size / 1024).toFixed(1)} KiB`);
  const scenarios = await loadScenarios();
  if (scenarios.length === 0) {
    console.error('[e2e] no scenario matched');
    return 1;
  }
  mkdirSync(resultsDir, { recursive: true });
  for (const f of readdirSync(resultsDir)) if (f.startsWith('e2e-')) rmSync(join(resultsDir, f), { force: true });

  const perScenarioMs = secondsFromEnv('SERVELENS_E2E_TIMEOUT', 120) * 1000;
  const started = Date.now();
  const sandbox = createSandbox('sle-');
  let server;
  let browser;
  const results = [];
  try {
    console.log(`[e2e] ${installExtension(sandbox, vsix).split('\n').pop()}`);
    server = await startCodeServer({ sandbox, env: testEnvironment() });
    console.log(`[e2e] code-server on ${server.origin}`);
    browser = await launchBrowser();

    for (const scenario of scenarios) {
      const t0 = Date.now();
      const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
      const page = await context.newPage();
      const pageErrors = [];
      page.on('pageerror', (err) => pageErrors.push(String(err)));
      const shot = async (label) => {
        const path = join(resultsDir, `e2e-${scenario.name}${label ? `-${label}` : ''}.png`);
        await page.screenshot({ path });
        return path;
      };
      const log = (msg) => console.log(`[e2e]   ${msg}`);
      try {
        await withTimeout((async () => {
          await page.goto(workbenchUrl(server, workspace));
          const workbench = new Workbench(page);
          await workbench.ready();
          await scenario.run({ page, workbench, shot, log, server, workspace });
        })(), perScenarioMs, scenario.name);
        results.push({ name: scenario.name, ok: true });
        console.log(`[e2e] ✔ ${scenario.name} (${Date.now() - t0} ms)`);
      } catch (err) {
        results.push({ name: scenario.name, ok: false });
        const failureShot = join(resultsDir, `e2e-${scenario.name}-failure.png`);
        await page.screenshot({ path: failureShot, timeout: 10_000 }).catch(() => {});
        const detail = err instanceof Error ? err.stack ?? err.message : String(err);
        writeFileSync(join(resultsDir, `e2e-${scenario.name}-failure.txt`),
          `${detail}\n${pageErrors.length ? `\nworkbench errors:\n${pageErrors.join('\n')}\n` : ''}`);
        console.error(`[e2e] ✘ ${scenario.name} (${Date.now() - t0} ms)\n${detail}`);
        console.error(`[e2e]   kept test-results/e2e-${scenario.name}-failure.png`);
      } finally {
        await context.close().catch(() => {});
      }
    }
  } catch (err) {
    results.push({ name: 'setup', ok: false });
    console.error(`[e2e] ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
  } finally {
    await browser?.close().catch(() => {});
    await server?.stop().catch(() => {});
    if (server && results.some((r) => !r.ok)) copyFileSync(server.logFile, join(resultsDir, 'e2e-code-server.log'));
    if (process.env.SERVELENS_KEEP_SANDBOX) console.log(`[e2e] sandbox kept: ${sandbox.base}`);
    else sandbox.remove();
  }
  const passed = results.filter((r) => r.ok).length;
  const failed = results.length - passed;
  console.log(`[e2e] finished in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  console.log(`e2e: ${passed} passed, ${failed} failed`);
  return failed === 0 && passed > 0 ? 0 : 1;
}

process.exit(await main());
