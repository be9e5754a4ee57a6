import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, copyFile, mkdir, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { main } from '../../src/cli';
import type { CliIo } from '../../src/cli/io';
import { repoRoot, savedModel } from '../helpers/fixtures';

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIo = { out: (t) => (out += t.endsWith('\n') ? t : `${t}\n`), err: (t) => (err += `${t}\n`), isTty: false };
  const code = await main(argv, io);
  return { code, out, err };
}

describe('servelens CLI', () => {
  it('--help lists every command of DESIGN.md and exits 0; no arguments exits 2', async () => {
    const help = await run('--help');
    assert.equal(help.code, 0);
    for (const c of ['inspect', 'lint', 'validate', 'predict', 'explain', 'batch', 'serve', 'endpoints list', 'models list', 'versions list', 'jobs list']) {
      assert.match(help.out, new RegExp(`^  ${c} `, 'm'), c);
    }
    assert.equal((await run()).code, 2);
  });

  it('--version prints the package version', async () => {
    const pkg = JSON.parse(await readFile(join(repoRoot(), 'package.json'), 'utf8')) as { version: string };
    const r = await run('--version');
    assert.equal(r.code, 0);
    assert.equal(r.out.trim(), pkg.version);
  });

  it('unknown commands, unknown options and missing targets exit 2 with a clear message and no output', async () => {
    const unknown = await run('frobnicate');
    assert.equal(unknown.code, 2);
    assert.match(unknown.err, /unknown command 'frobnicate'/);
    const badOpt = await run('inspect', savedModel('times_two_int'), '--colour');
    assert.equal(badOpt.code, 2);
    assert.match(badOpt.err, /--colour/);
    const noTarget = await run('serve');
    assert.equal(noTarget.code, 2);
    assert.equal(noTarget.out, '');
    assert.match(noTarget.err, /serve needs --model/);
    const twoModels = await run('inspect', 'a', 'b');
    assert.equal(twoModels.code, 2);
  });

  it('inspect --json follows the contract for a TF Serving base directory (highest version used)', async () => {
    const r = await run('inspect', savedModel('saved_model_half_plus_two_cpu'), '--json');
    assert.equal(r.code, 0, r.err);
    const json = JSON.parse(r.out) as { format: string; metaGraphs: { tags: string[]; signatures: { name: string; method: string; inputs: unknown[]; outputs: unknown[] }[] }[] };
    assert.deepEqual(Object.keys(json), ['format', 'metaGraphs']);
    assert.equal(json.format, 'savedmodel');
    assert.deepEqual(json.metaGraphs[0].tags, ['serve']);
    const sd = json.metaGraphs[0].signatures.find((s) => s.name === 'serving_default');
    assert.deepEqual(sd, {
      name: 'serving_default',
      method: 'tensorflow/serving/predict',
      inputs: [{ alias: 'x', dtype: 'DT_FLOAT', shape: [-1, 1], tensor: 'x:0' }],
      outputs: [{ alias: 'y', dtype: 'DT_FLOAT', shape: [-1, 1], tensor: 'y:0' }],
    });
    const reg = json.metaGraphs[0].signatures.find((s) => s.name === 'regress_x_to_y');
    assert.deepEqual(reg?.inputs, [{ alias: 'inputs', dtype: 'DT_STRING', shape: null, tensor: 'tf_example:0' }]);
  });

  it('inspect prints saved_model_cli-style text with versions, variables and the fingerprint', async () => {
    const r = await run('inspect', savedModel('saved_model_half_plus_two_2_versions'));
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /Version: 00000124 \(also present: 00000123\)/);
    assert.match(r.out, /signature_def\['classify_x2_to_y3'\]:/);
    assert.match(r.out, /inputs\['inputs'\] tensor_info:\n {8}dtype: DT_STRING\n {8}shape: unknown_rank\n {8}name: tf_example:0/);
    assert.match(r.out, /Method name is: tensorflow\/serving\/classify/);
    assert.match(r.out, /Variables \(3, 12 bytes\):/);
    const tf2 = await run('inspect', savedModel('saved_model_half_plus_two_tf2_cpu', '00000123', 'saved_model.pb'));
    assert.match(tf2.out, /saved_model_checksum: 3202314178945370836/);
    assert.match(tf2.out, /shape: \(1\)/);
  });

  it('inspect --version picks a version folder; a missing model exits 1 with the path', async () => {
    const r = await run('inspect', savedModel('saved_model_half_plus_two_2_versions'), '--version', '123');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /Version: 00000123/);
    const missing = await run('inspect', join(tmpdir(), 'no-such-model-here'));
    assert.equal(missing.code, 1);
    assert.match(missing.err, /no-such-model-here/);
  });

  it('lint exits 0 on a clean fixture, 1 when an error is found, and --json lists findings', async () => {
    const clean = await run('lint', savedModel('saved_model_half_plus_two_cpu'), '--json');
    assert.equal(clean.code, 0, clean.err);
    assert.deepEqual(JSON.parse(clean.out), []);
    // half_plus_three's signatures declare no shapes: warnings, not errors.
    const three = await run('lint', savedModel('saved_model_half_plus_three'), '--json');
    assert.equal(three.code, 0);
    const codes = (JSON.parse(three.out) as { code: string }[]).map((f) => f.code);
    assert.ok(codes.includes('input-unknown-rank'), codes.join());
    // A model with no serve tag: take times_two_int and rename its tag through the text format.
    const dir = await mkdtemp(join(tmpdir(), 'servelens-cli-'));
    const pbtxt = await readFile(savedModel('half_plus_two_pbtxt', '00000123', 'saved_model.pbtxt'), 'utf8');
    await mkdir(join(dir, 'bad-model', '1'), { recursive: true });
    await writeFile(join(dir, 'bad-model', '1', 'saved_model.pbtxt'), pbtxt.replace(/tags: "serve"/g, 'tags: "train"'));
    const bad = await run('lint', join(dir, 'bad-model'));
    assert.equal(bad.code, 1);
    assert.match(bad.out, /error: No MetaGraphDef is tagged "serve"/);
    assert.match(bad.out, /The model name "bad-model" cannot be used/);
    const named = await run('lint', join(dir, 'bad-model'), '--name', 'good_model', '--json');
    assert.ok(!(JSON.parse(named.out) as { code: string }[]).some((f) => f.code === 'invalid-model-name'));
    await copyFile(savedModel('times_two_int', 'saved_model.pb'), join(dir, 'saved_model.pb'));
  });

  it('the bundled dist/cli.js runs as an executable with the same contract', () => {
    assert.ok(existsSync(join(repoRoot(), 'dist', 'cli.js')), 'npm run test:unit builds dist/cli.js first');
    const r = spawnSync(process.execPath, [join(repoRoot(), 'dist', 'cli.js'), 'inspect', savedModel('times_three_float'), '--json'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const json = JSON.parse(r.stdout) as { metaGraphs: { signatures: { name: string; inputs: { shape: number[] }[] }[] }[] };
    const sd = json.metaGraphs[0].signatures.find((s) => s.name === 'serving_default');
    assert.deepEqual(sd?.inputs[0].shape, []);
  });
});
