import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { main } from '../../src/cli';
import type { CliIo } from '../../src/cli/io';
import { repoRoot, savedModel } from '../helpers/fixtures';

const HPT = savedModel('saved_model_half_plus_two_cpu');
const CLI = join(repoRoot(), 'out', 'src', 'cli.js');

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIo = { out: (t) => (out += t.endsWith('\n') ? t : `${t}\n`), err: (t) => (err += `${t}\n`), isTty: false };
  const code = await main(argv, io);
  return { code, out, err };
}

describe('servelens predict / explain / batch / serve (local runner)', () => {
  let dir = '';
  const file = (name: string) => join(dir, name);
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'servelens-runner-cli-'));
    await writeFile(file('smoke.json'), '{"instances":[1.0,2.0,5.0]}');
    await writeFile(file('columnar.json'), '{"inputs":[2.0,3.0,4.0]}');
    await writeFile(file('classify.json'), '{"signature_name":"classify_x_to_y","examples":[{"x":2.0}]}');
    await writeFile(file('regress.json'), '{"signature_name":"regress_x_to_y","examples":[{"x":2.0}]}');
    await writeFile(file('bad.json'), '{"instances":[{"y":1.0}]}');
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('predict prints the body TF Serving returns (row, columnar, classify, regress)', async () => {
    const r = await run('predict', file('smoke.json'), '--model', HPT, '--json');
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(JSON.parse(r.out), { predictions: [2.5, 3, 4.5] });
    assert.deepEqual(JSON.parse((await run('predict', file('columnar.json'), '--model', HPT, '--json')).out), { outputs: [3, 3.5, 4] });
    assert.deepEqual(JSON.parse((await run('predict', file('classify.json'), '--model', HPT, '--json')).out), { results: [[['', 3]]] });
    assert.deepEqual(JSON.parse((await run('predict', file('regress.json'), '--model', HPT, '--json')).out), { results: [3] });
    const vertex = await run('predict', file('smoke.json'), '--model', savedModel('saved_model_half_plus_two_2_versions'), '--format', 'vertex', '--model-version', '123');
    assert.equal(vertex.code, 0, vertex.err);
    assert.deepEqual(JSON.parse(vertex.out), { predictions: [2.5, 3, 4.5] });
    assert.match(vertex.err, /signature serving_default, backend (wasm|cpu)/);
  });

  it('exit 1 with the validator\'s message for a bad request; exit 2 without a target or with bad flags', async () => {
    const bad = await run('predict', file('bad.json'), '--model', HPT);
    assert.equal(bad.code, 1);
    assert.equal(bad.out, '');
    assert.match(bad.err, /line 1, column \d+: .*"y".*did you mean "x"/);
    const noTarget = await run('predict', file('smoke.json'));
    assert.equal(noTarget.code, 2);
    assert.match(noTarget.err, /--model <model>.*--endpoint, --version, --tf-serving/);
    assert.equal((await run('predict', file('smoke.json'), '--model', HPT, '--format', 'grpc')).code, 2);
    assert.equal((await run('explain', file('smoke.json'), '--model', HPT, '--path-count', '99')).code, 2);
    const missing = await run('predict', file('nope.json'), '--model', HPT);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /Cannot read .*nope\.json/);
  });

  it('explain answers Vertex\'s ExplainResponse with attributions that sum up', async () => {
    const r = await run('explain', file('smoke.json'), '--model', HPT, '--json', '--path-count', '3');
    assert.equal(r.code, 0, r.err);
    const body = JSON.parse(r.out) as { explanations: { attributions: { featureAttributions: { x: number }; baselineOutputValue: number; instanceOutputValue: number }[] }[]; predictions: number[] };
    assert.deepEqual(body.predictions, [2.5, 3, 4.5]);
    assert.deepEqual(body.explanations.map((e) => e.attributions[0]!.featureAttributions.x), [0.5, 1, 2.5]);
    const ig = await run('explain', file('smoke.json'), '--model', HPT, '--json', '--method', 'integrated-gradients', '--step-count', '10');
    assert.equal(ig.code, 0, ig.err);
    const igBody = JSON.parse(ig.out) as typeof body;
    igBody.explanations.forEach((e, i) => assert.ok(Math.abs(e.attributions[0]!.featureAttributions.x - [0.5, 1, 2.5][i]!) < 1e-5));
  });

  it('batch: JSON Lines with keys in, Vertex batch lines out, in order, bad lines reported (exit 1)', async () => {
    const lines: string[] = [];
    for (let i = 0; i < 300; i++) lines.push(i % 3 === 0 ? JSON.stringify({ key: `k${i}`, x: [i] }) : JSON.stringify([i]));
    await writeFile(file('in.jsonl'), `${lines.join('\n')}\n\n`);
    const r = await run('batch', file('in.jsonl'), '--model', HPT, '--out', file('out.jsonl'), '--json');
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(JSON.parse(r.out).instances, 300);
    assert.equal(JSON.parse(r.out).workers, 2);
    const out = (await readFile(file('out.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(out.length, 300);
    out.forEach((o, i) => {
      if (i % 3 === 0) assert.deepEqual(o, { key: `k${i}`, instance: { x: [i] }, prediction: [0.5 * i + 2] });
      else assert.deepEqual(o, { instance: [i], prediction: [0.5 * i + 2] });
    });

    await writeFile(file('bad.jsonl'), '[1.0]\n{"y": 3}\nnot json\n[4.0]\n');
    const bad = await run('batch', file('bad.jsonl'), '--model', HPT, '--out', file('bad-out.jsonl'), '--workers', '1');
    assert.equal(bad.code, 1);
    assert.match(bad.out, /4 instance\(s\), 2 error\(s\), 1 worker/);
    const badOut = (await readFile(file('bad-out.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(badOut[0], { instance: [1], prediction: [2.5] });
    assert.match(String((badOut[1]!.error as { message: string }).message), /no input "y"/);
    assert.match(JSON.stringify(badOut[2]), /line 3 is not JSON/);
    assert.deepEqual(badOut[3], { instance: [4], prediction: [4] });
  });

  it('the built CLI (node out/src/cli.js) predicts in its own process', () => {
    const r = spawnSync(process.execPath, [CLI, 'predict', file('smoke.json'), '--model', HPT, '--json'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { predictions: [2.5, 3, 4.5] });
    const bad = spawnSync(process.execPath, [CLI, 'predict', file('bad.json'), '--model', HPT], { encoding: 'utf8' });
    assert.equal(bad.status, 1);
  });

  it('servelens serve prints its URL, answers TF Serving REST, and stops on SIGINT', async () => {
    const child = spawn(process.execPath, [CLI, 'serve', '--model', savedModel('saved_model_half_plus_two_2_versions')], { stdio: ['ignore', 'pipe', 'pipe'] });
    const url = await new Promise<string>((resolve, reject) => {
      let buf = '';
      child.stdout.on('data', (c: Buffer) => {
        buf += c.toString();
        const m = /^(http:\/\/127\.0\.0\.1:\d+)\n/.exec(buf);
        if (m) resolve(m[1]!);
      });
      child.once('exit', (code) => reject(new Error(`serve exited with ${code}`)));
    });
    try {
      const status = await (await fetch(`${url}/v1/models/saved_model_half_plus_two_2_versions`)).json();
      assert.deepEqual(status, {
        model_version_status: [
          { version: '124', state: 'AVAILABLE', status: { error_code: 'OK', error_message: '' } },
          { version: '123', state: 'AVAILABLE', status: { error_code: 'OK', error_message: '' } },
        ],
      });
      const res = await fetch(`${url}/v1/models/saved_model_half_plus_two_2_versions/versions/123:predict`, { method: 'POST', body: '{"instances":[1.0,2.0]}' });
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { predictions: [2.5, 3] });
    } finally {
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      child.kill('SIGINT');
      assert.equal(await exited, 0);
    }
  });
});
