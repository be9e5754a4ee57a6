#!/usr/bin/env node
// Builds ServeLens with esbuild.
//   dist/extension.js   the extension host bundle (Node, CommonJS, `vscode` external)
//   dist/cli.js         the `servelens` command line (Node, CommonJS, with a shebang)
//   dist/runnerWorker.js the local runner's engine worker (worker_threads), with the tfjs wasm binaries
//                        and dist/tfjs-gradients.js (tfjs-core's gradients, for integrated gradients) beside it
//   dist/webview/*.js   one browser bundle per webview entry in webview/*/main.ts
//   out/**              src, test, bench and webview/shared transpiled file by file (for node:test, mocha, bench)
// Flags: --production (minified, no source maps), --watch, --only=bundles|out
import * as esbuild from 'esbuild';
import { readdirSync, readFileSync, statSync, existsSync, rmSync, chmodSync, copyFileSync, mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const args = new Set(process.argv.slice(2));
const production = args.has('--production');
const watch = args.has('--watch');
const only = [...args].find((a) => a.startsWith('--only='))?.slice(7);

function walk(dir, pred, acc = []) {
  if (!existsSync(dir)) return acc;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, pred, acc);
    else if (pred(p)) acc.push(p);
  }
  return acc;
}

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const common = {
  bundle: true,
  define: { SERVELENS_VERSION: JSON.stringify(pkg.version) },
  sourcemap: production ? false : 'linked',
  minify: production,
  logLevel: 'warning',
  legalComments: 'none',
};

const webviewEntries = existsSync(join(root, 'webview'))
  ? readdirSync(join(root, 'webview'))
      .filter((d) => existsSync(join(root, 'webview', d, 'main.ts')))
      .map((d) => ({ in: join(root, 'webview', d, 'main.ts'), out: d }))
  : [];

const configs = [];
if (only !== 'out') {
  configs.push(
    {
      ...common,
      entryPoints: [join(root, 'src/extension.ts')],
      outfile: join(root, 'dist/extension.js'),
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      external: ['vscode'],
    },
    {
      ...common,
      entryPoints: [join(root, 'src/cli.ts')],
      outfile: join(root, 'dist/cli.js'),
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      banner: { js: '#!/usr/bin/env node' },
    },
    {
      ...common,
      entryPoints: [join(root, 'node_modules/@tensorflow/tfjs-core/dist/register_all_gradients.js')],
      outfile: join(root, 'dist/tfjs-gradients.js'),
      platform: 'node',
      format: 'cjs',
      target: 'node20',
    },
    {
      ...common,
      entryPoints: [join(root, 'src/core/runner/worker.ts')],
      outfile: join(root, 'dist/runnerWorker.js'),
      platform: 'node',
      format: 'cjs',
      target: 'node20',
    },
  );
  if (webviewEntries.length) {
    configs.push({
      ...common,
      entryPoints: webviewEntries,
      outdir: join(root, 'dist/webview'),
      platform: 'browser',
      format: 'iife',
      target: 'es2022',
    });
  }
}
if (only !== 'bundles') {
  // webview/shared: the webviews' message contracts, pure, for the unit tests.
  const files = ['src', 'test', 'bench', 'scripts', 'webview/shared']
    .flatMap((d) => walk(join(root, d), (p) => p.endsWith('.ts') && !p.endsWith('.d.ts')));
  configs.push({
    entryPoints: files,
    outdir: join(root, 'out'),
    outbase: root,
    bundle: false,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    sourcemap: 'inline',
    logLevel: 'warning',
  });
  // TensorFlow.js's node build registers no gradients; its ES module sources do. Bundled once
  // beside the runner so integrated gradients can load them (src/core/runner/tfjs.ts).
  configs.push({
    entryPoints: [join(root, 'node_modules/@tensorflow/tfjs-core/dist/register_all_gradients.js')],
    outfile: join(root, 'out/src/core/runner/tfjs-gradients.js'),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    logLevel: 'warning',
  });
}

// The local runner's TensorFlow.js wasm backend loads its .wasm files at run time from beside the
// bundle (src/core/runner/tfjs.ts looks there first); the packaged extension has no node_modules.
function copyRunnerWasm() {
  const from = join(root, 'node_modules/@tensorflow/tfjs-backend-wasm/dist');
  mkdirSync(join(root, 'dist'), { recursive: true });
  for (const f of ['tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm.wasm']) copyFileSync(join(from, f), join(root, 'dist', f));
}

if (!watch && only !== 'out') rmSync(join(root, 'dist'), { recursive: true, force: true });
if (watch) {
  for (const c of configs) {
    const ctx = await esbuild.context(c);
    await ctx.watch();
  }
  if (only !== 'out') copyRunnerWasm();
  console.log('[watch] esbuild is watching src/, webview/, test/ and bench/');
} else {
  const t0 = Date.now();
  await Promise.all(configs.map((c) => esbuild.build(c)));
  if (existsSync(join(root, 'dist/cli.js'))) chmodSync(join(root, 'dist/cli.js'), 0o755);
  if (only !== 'out') copyRunnerWasm();
  console.log(`[build] ${production ? 'production' : 'development'} build in ${Date.now() - t0} ms` +
    (webviewEntries.length ? ` (webviews: ${webviewEntries.map((e) => relative(root, e.in)).join(', ')})` : ''));
}
