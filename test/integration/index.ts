// The extensionTestsPath entry: VS Code loads out/test/integration/index.js inside the extension
// host and calls `run()`. It runs every `*.test.js` under out/test/integration with mocha, prints
// each test (the runner shows the extension host's console), and rejects when any test fails.
// Both runners use it: @vscode/test-electron and code-server (test/runners/integration.mjs).
//
// Env: SERVELENS_TEST_GREP (only tests whose full title matches), SERVELENS_TEST_TIMEOUT_MS
// (per test, default 20000).
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import Mocha from 'mocha';

function findTests(dir: string): string[] {
  const found: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) found.push(...findTests(p));
    else if (name.endsWith('.test.js')) found.push(p);
  }
  return found;
}

export function run(): Promise<void> {
  const perTest = Number(process.env.SERVELENS_TEST_TIMEOUT_MS);
  const mocha = new Mocha({
    ui: 'bdd',
    reporter: 'spec',
    color: false,
    timeout: Number.isFinite(perTest) && perTest > 0 ? perTest : 20_000,
    ...(process.env.SERVELENS_TEST_GREP ? { grep: process.env.SERVELENS_TEST_GREP } : {}),
  });
  const files = findTests(__dirname);
  if (files.length === 0) return Promise.reject(new Error(`no *.test.js files under ${__dirname}`));
  for (const f of files) mocha.addFile(f);
  console.log(`[integration] ${files.length} suite file(s): ${files.map((f) => relative(__dirname, f)).join(', ')}`);

  return new Promise<void>((resolve, reject) => {
    try {
      const runner = mocha.run((failures) => {
        const { passes = 0, pending = 0, tests = 0 } = runner.stats ?? {};
        // A plain closing line the CI log reader understands, in addition to mocha's own summary.
        console.log(`integration: ${passes} passed, ${failures} failed${pending ? `, ${pending} skipped` : ''}`);
        if (failures > 0) reject(new Error(`${failures} of ${tests} integration test(s) failed`));
        else if (passes === 0) reject(new Error('no integration test ran'));
        else resolve();
      });
    } catch (err) {
      reject(err instanceof Error ? err : new Error(String(err)));
    }
  });
}
