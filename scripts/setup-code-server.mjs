#!/usr/bin/env node
// Installs code-server (real VS Code: server + web workbench) into a cache folder outside the
// project's dependencies, only when it is missing. The test runners and `npm start` use it when no
// desktop VS Code can be downloaded (CI reaches only the npm registry and Debian's packages).
//
//   node scripts/setup-code-server.mjs          install when missing, print the entry point
//   node scripts/setup-code-server.mjs --force  reinstall
//
// Offline recipe (see docs/testing.md):
//   - code-server 4.99.4 (VS Code 1.99.3) is the newest line that runs on Node 20;
//   - its postinstall runs `npx node-gyp` and nested `npm install`s: npm_config_yes=true, --unsafe-perm;
//   - @vscode/ripgrep downloads `rg` from the internet unless a cached archive exists in
//     $TMPDIR/vscode-ripgrep-cache-<its version>/: we seed it with Debian's /usr/bin/rg.
// Needs Debian packages: build-essential python3 pkg-config libkrb5-dev ripgrep (.ci/run installs them).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync, copyFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CODE_SERVER_VERSION = '4.99.4';
// The ripgrep build @vscode/ripgrep 1.15.x fetches; the archive name it looks for in its cache.
const RIPGREP_TAG = 'v13.0.0-10';
const RIPGREP_TARGET = 'x86_64-unknown-linux-musl';

const root = fileURLToPath(new URL('..', import.meta.url));
export const codeServerDir = join(root, '.cache', `code-server-${CODE_SERVER_VERSION}`);
const pkgDir = join(codeServerDir, 'node_modules', 'code-server');
/** The Node entry point of code-server (run it with `node`). */
export const codeServerEntry = join(pkgDir, 'out', 'node', 'entry.js');
const marker = join(codeServerDir, '.installed');

export function codeServerInstalled() {
  return existsSync(marker) && existsSync(codeServerEntry);
}

function run(cmd, args, opts) {
  const t0 = Date.now();
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...opts });
  if (r.error) throw r.error;
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status ?? r.signal} after ${Date.now() - t0} ms`);
  }
}

function which(name) {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/**
 * Makes sure code-server is installed in `.cache/code-server-<version>/` and returns its entry point.
 * Progress goes to stderr so that stdout stays clean for callers.
 */
export function ensureCodeServer({ force = false, log = (m) => process.stderr.write(`[code-server] ${m}\n`) } = {}) {
  if (!force && codeServerInstalled()) return codeServerEntry;
  const major = Number(process.versions.node.split('.')[0]);
  if (major !== 20) {
    throw new Error(`code-server ${CODE_SERVER_VERSION} needs Node 20 (this is Node ${process.versions.node})`);
  }
  const rg = which('rg');
  if (!rg) throw new Error('ripgrep (`rg`) is not on PATH: apt-get install ripgrep (see .ci/run)');

  const t0 = Date.now();
  log(`installing code-server ${CODE_SERVER_VERSION} into ${codeServerDir} (slow the first time)`);
  rmSync(codeServerDir, { recursive: true, force: true });
  const tmp = join(codeServerDir, 'tmp');
  mkdirSync(tmp, { recursive: true });
  writeFileSync(join(codeServerDir, 'package.json'), JSON.stringify({
    name: 'servelens-tools',
    private: true,
    description: 'code-server for the ServeLens tests; installed by scripts/setup-code-server.mjs',
  }, null, 2) + '\n');

  const env = {
    ...process.env,
    // code-server's postinstall runs `npx node-gyp`; a user npmrc with yes=false would block it.
    npm_config_yes: 'true',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
    // os.tmpdir() of every install script: where the ripgrep cache is looked up.
    TMPDIR: tmp,
    // Compile native modules here instead of letting node-pre-gyp / prebuild-install try to
    // download prebuilt binaries from the internet (they would fail and fall back anyway).
    npm_config_build_from_source: 'true',
  };
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

  // 1. Fetch the package tree without running scripts, to learn which @vscode/ripgrep it pins.
  run(npm, ['install', '--ignore-scripts', '--no-package-lock', `code-server@${CODE_SERVER_VERSION}`],
    { cwd: codeServerDir, env });
  const shrinkwrap = JSON.parse(readFileSync(join(pkgDir, 'lib', 'vscode', 'npm-shrinkwrap.json'), 'utf8'));
  const ripgrepVersion = shrinkwrap.packages?.['node_modules/@vscode/ripgrep']?.version;
  if (!ripgrepVersion) throw new Error('cannot find @vscode/ripgrep in code-server\'s lib/vscode/npm-shrinkwrap.json');

  // 2. Seed @vscode/ripgrep's download cache with Debian's rg (a tar.gz holding a file `rg`).
  const cacheDir = join(tmp, `vscode-ripgrep-cache-${ripgrepVersion}`);
  const stage = join(tmp, 'rg-stage');
  mkdirSync(cacheDir, { recursive: true });
  mkdirSync(stage, { recursive: true });
  copyFileSync(rg, join(stage, 'rg'));
  chmodSync(join(stage, 'rg'), 0o755);
  run('tar', ['-czf', join(cacheDir, `ripgrep-${RIPGREP_TAG}-${RIPGREP_TARGET}.tar.gz`), '-C', stage, 'rg']);
  log(`seeded @vscode/ripgrep ${ripgrepVersion} cache with ${rg}`);

  // 3. Run the install scripts now (code-server's postinstall installs VS Code's own dependencies).
  run(npm, ['rebuild', '--unsafe-perm', '--foreground-scripts'], { cwd: codeServerDir, env });

  const rgInstalled = join(pkgDir, 'lib', 'vscode', 'node_modules', '@vscode', 'ripgrep', 'bin', 'rg');
  if (!existsSync(rgInstalled)) throw new Error(`install finished but ${rgInstalled} is missing`);
  rmSync(tmp, { recursive: true, force: true });
  writeFileSync(marker, `${CODE_SERVER_VERSION} ${new Date().toISOString()}\n`);
  log(`installed in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return codeServerEntry;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    const entry = ensureCodeServer({ force: process.argv.includes('--force') });
    console.log(entry);
  } catch (err) {
    console.error(`[code-server] setup failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}
