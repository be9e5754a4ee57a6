#!/usr/bin/env node
// `npm test`: every check a change must pass, in order, stopping at the first failure.
//   typecheck → lint → unit (node:test) → integration (mocha in VS Code) → e2e (packaged .vsix)
// Each stage's own runner prints its results; this script adds the duration of each stage, a
// summary, and a closing line with the number of tests that passed and failed across the stages.
//   node scripts/test.mjs [stage ...]     e.g. `npm test -- unit integration`
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { stripVTControlCharacters } from 'node:util';

const root = fileURLToPath(new URL('..', import.meta.url));
const STAGES = [
  { name: 'typecheck', script: 'typecheck' },
  { name: 'lint', script: 'lint' },
  { name: 'unit', script: 'test:unit' },
  { name: 'integration', script: 'test:integration' },
  { name: 'e2e', script: 'test:e2e' },
];

const wanted = process.argv.slice(2);
for (const w of wanted) {
  if (!STAGES.some((s) => s.name === w)) {
    console.error(`unknown stage "${w}"; stages: ${STAGES.map((s) => s.name).join(', ')}`);
    process.exit(2);
  }
}
const stages = wanted.length ? STAGES.filter((s) => wanted.includes(s.name)) : STAGES;

/** Test counts from a stage's output: node:test's "ℹ pass N"/"ℹ fail N", or our runners' closing line. */
function countTests(output) {
  const counts = { passed: 0, failed: 0, found: false };
  for (const m of output.matchAll(/^(?:ℹ|#) (pass|fail) (\d+)\s*$/gm)) {
    counts[m[1] === 'pass' ? 'passed' : 'failed'] += Number(m[2]);
    counts.found = true;
  }
  for (const m of output.matchAll(/^(?:integration|e2e): (\d+) passed, (\d+) failed/gm)) {
    counts.passed += Number(m[1]);
    counts.failed += Number(m[2]);
    counts.found = true;
  }
  return counts;
}

function runStage(stage) {
  return new Promise((resolve) => {
    const child = spawn('npm', ['run', '--silent', stage.script], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: process.stdout.isTTY && !process.env.NO_COLOR ? { ...process.env, FORCE_COLOR: '1' } : process.env,
    });
    let output = '';
    child.stdout.on('data', (d) => { process.stdout.write(d); output += d; });
    child.stderr.on('data', (d) => { process.stderr.write(d); output += d; });
    child.on('error', (err) => resolve({ code: 1, output: `${output}\n${err.message}` }));
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), output }));
  });
}

// Ctrl-C reaches the whole foreground process group (the stages clean up after themselves).
process.on('SIGINT', () => {});

const results = [];
let failed = false;
for (const stage of stages) {
  if (failed) {
    results.push({ ...stage, status: 'skipped', ms: 0 });
    continue;
  }
  console.log(`\n━━ ${stage.name} (npm run ${stage.script}) ━━`);
  const t0 = Date.now();
  const { code, output } = await runStage(stage);
  const ms = Date.now() - t0;
  // FORCE_COLOR output may wrap the counts in escape codes.
  const counts = countTests(stripVTControlCharacters(output));
  const status = code === 0 ? 'passed' : 'failed';
  results.push({ ...stage, status, ms, code, counts });
  console.log(`━━ ${stage.name} ${status}${code ? ` (exit ${code})` : ''} in ${(ms / 1000).toFixed(1)} s`);
  if (code !== 0) failed = true;
}

console.log('\nSummary');
for (const r of results) {
  const tests = r.counts?.found ? `  ${r.counts.passed} passed, ${r.counts.failed} failed` : '';
  console.log(`  ${r.name.padEnd(12)} ${r.status.padEnd(8)} ${r.status === 'skipped' ? '' : `${(r.ms / 1000).toFixed(1).padStart(6)} s`}${tests}`);
}
const total = results.reduce((a, r) => a + r.ms, 0);
console.log(`  ${'total'.padEnd(12)} ${(failed ? 'failed' : 'passed').padEnd(8)} ${(total / 1000).toFixed(1).padStart(6)} s`);
const passedTests = results.reduce((a, r) => a + (r.counts?.passed ?? 0), 0);
const failedTests = results.reduce((a, r) => a + (r.counts?.failed ?? 0), 0);
// Tests (not stages) across unit, integration and e2e. A failed stage with no failing test (a type
// error, a lint finding, a crash) still fails the run through the exit code.
console.log(`tests: ${passedTests} passed, ${failedTests} failed`);
process.exit(failed ? 1 : 0);
