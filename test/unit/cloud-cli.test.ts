/**
 * `servelens endpoints|models|versions|jobs list` against the local emulator: tables, exact --json,
 * several regions, --legacy, failures with their hints and exit codes, and the token never shown.
 */
import { strict as assert } from 'node:assert';
import { after, before, beforeEach, describe, it } from 'node:test';
import { main } from '../../src/cli';
import type { CliIo } from '../../src/cli/io';
import { FixedTokenSource } from '../../src/core/cloud/auth';
import { HttpClient } from '../../src/core/cloud/http';
import { listAll } from '../../src/core/cloud/paging';
import { VertexClient } from '../../src/core/cloud/vertex';
import { startEmulator, type Emulator } from '../emulator/server';

const TOKEN = 'ya29.servelens-test-token';
let emu: Emulator;
const saved = { ...process.env };
const outputs: string[] = [];

before(async () => {
  emu = await startEmulator();
  process.env.SERVELENS_ACCESS_TOKEN = TOKEN;
  delete process.env.SERVELENS_API_ENDPOINT;
  delete process.env.GOOGLE_CLOUD_PROJECT;
});
after(async () => {
  for (const k of ['SERVELENS_ACCESS_TOKEN', 'SERVELENS_API_ENDPOINT', 'GOOGLE_CLOUD_PROJECT']) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
  await emu.close();
});
beforeEach(() => emu.reset());

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIo = { out: (t) => (out += t.endsWith('\n') ? t : `${t}\n`), err: (t) => (err += `${t}\n`), isTty: false };
  const code = await main(argv, io);
  outputs.push(out, err);
  return { code, out, err };
}

const api = () => ['--api-endpoint', emu.url];

describe('servelens … list (cloud CLI)', () => {
  it('endpoints list: an aligned table with deployed models and traffic', async () => {
    const r = await run('endpoints', 'list', '--project', 'servelens-demo', '--region', 'us-central1', ...api());
    assert.equal(r.code, 0, r.err);
    const lines = r.out.trimEnd().split('\n');
    assert.match(lines[0]!, /^REGION\s+ENDPOINT\s+DISPLAY NAME\s+DEPLOYED MODELS \(TRAFFIC\)\s+CREATED$/);
    assert.equal(lines.length, 4);
    const col = lines[0]!.indexOf('DISPLAY NAME');
    assert.ok(lines.slice(1).every((l) => l.slice(col).match(/^[a-z]/)), 'the DISPLAY NAME column is aligned');
    assert.match(r.out, /half_plus_two-stable 6025781412435673088 v1 \(90%\), half_plus_two-canary 3395926227162546176 v2 \(10%\)/);
    assert.match(r.out, /empty-endpoint\s+-\s+2024-03-20 16:00:00Z/);
  });

  it('--json prints exactly the REST resources, all regions in the order given', async () => {
    const r = await run('endpoints', 'list', '--project', 'servelens-demo', '--region', 'us-central1,europe-west4', '--json', ...api());
    assert.equal(r.code, 0, r.err);
    const printed = JSON.parse(r.out) as unknown[];
    const vertex = new VertexClient({ http: new HttpClient({ credentials: new FixedTokenSource(TOKEN) }), apiEndpoint: emu.url });
    const direct = [
      ...(await listAll((t) => vertex.listEndpoints('servelens-demo', 'us-central1', t ? { pageToken: t } : {}))).items,
      ...(await listAll((t) => vertex.listEndpoints('servelens-demo', 'europe-west4', t ? { pageToken: t } : {}))).items,
    ];
    assert.equal(printed.length, 123);
    assert.deepEqual(printed, direct);
  });

  it('models list (Vertex AI and --legacy), versions list (Vertex by id or full name, and --legacy), jobs list', async () => {
    const models = await run('models', 'list', '--project', 'servelens-demo', '--region', 'us-central1', ...api());
    assert.equal(models.code, 0, models.err);
    assert.match(models.out, /half_plus_two\s+1\s+default,stable/);

    const legacy = await run('models', 'list', '--project', 'servelens-demo', '--legacy', ...api());
    assert.equal(legacy.code, 0, legacy.err);
    assert.match(legacy.out, /^MODEL\s+DEFAULT VERSION\s+REGIONS/);
    assert.match(legacy.out, /half_plus_two\s+v1\s+us-central1/);

    const versions = await run('versions', 'list', '--project', 'servelens-demo', '--region', 'us-central1', '--model', '4471256745123258368', '--json', ...api());
    assert.equal(versions.code, 0, versions.err);
    assert.deepEqual((JSON.parse(versions.out) as { versionId: string }[]).map((v) => v.versionId), ['1', '2']);
    const byName = await run('versions', 'list', '--model', 'projects/123456789012/locations/us-central1/models/4471256745123258368', ...api());
    assert.equal(byName.code, 0, byName.err);
    assert.match(byName.out, /^VERSION\s+ALIASES\s+CREATED\s+ARTIFACT URI\n1\s+default,stable/);

    const lv = await run('versions', 'list', '--project', 'servelens-demo', '--legacy', '--model', 'half_plus_two', ...api());
    assert.equal(lv.code, 0, lv.err);
    assert.match(lv.out, /v1\s+yes\s+READY\s+2\.11\s+TENSORFLOW\s+3\.7\s+n1-standard-4\s+auto 1-4/);
    assert.match(lv.out, /v2\s+READY\s+2\.11\s+TENSORFLOW\s+3\.7\s+mls1-c1-m2\s+manual 2/);

    const jobs = await run('jobs', 'list', '--project', 'servelens-demo', '--region', 'us-central1', ...api());
    assert.equal(jobs.code, 0, jobs.err);
    assert.match(jobs.out, /nightly-scoring\s+SUCCEEDED/);
    assert.match(jobs.out, /bad-input-scoring\s+FAILED\s+.*expected a float/);
  });

  it('--limit caps each region and says so; SERVELENS_API_ENDPOINT works like --api-endpoint', async () => {
    process.env.SERVELENS_API_ENDPOINT = emu.url;
    try {
      const r = await run('endpoints', 'list', '--project', 'servelens-demo', '--region', 'europe-west4', '--limit', '7', '--json');
      assert.equal(r.code, 0, r.err);
      assert.equal((JSON.parse(r.out) as unknown[]).length, 7);
      const t = await run('endpoints', 'list', '--project', 'servelens-demo', '--region', 'europe-west4', '--limit', '7');
      assert.match(t.err, /--limit 7 reached in europe-west4/);
    } finally {
      delete process.env.SERVELENS_API_ENDPOINT;
    }
  });

  it('a refused project: exit 1, the message and the IAM role once for all regions, nothing on stdout', async () => {
    const r = await run('endpoints', 'list', '--project', 'servelens-denied', '--region', 'us-central1,europe-west4', ...api());
    assert.equal(r.code, 1);
    assert.equal(r.out, '');
    assert.match(r.err, /PERMISSION_DENIED/);
    assert.match(r.err, /roles\/aiplatform\.user/);
    assert.match(r.err, /the same in 2 regions: us-central1, europe-west4/);
    assert.equal(r.err.trim().split('\n').length, 1);
  });

  it('one failing region among several: the others print, exit 1', async () => {
    emu.faults.add({ path: /europe-west4\/endpoints$/, kind: 'status', status: 404 });
    const r = await run('endpoints', 'list', '--project', 'servelens-demo', '--region', 'us-central1,europe-west4', ...api());
    assert.equal(r.code, 1);
    assert.match(r.out, /half-plus-two-prod/);
    assert.match(r.err, /europe-west4/);
  });

  it('an API not enabled for --legacy: exit 1 with the enable command', async () => {
    const r = await run('models', 'list', '--project', 'servelens-disabled', '--legacy', ...api());
    assert.equal(r.code, 1);
    assert.match(r.err, /gcloud services enable ml\.googleapis\.com --project 555555555555/);
  });

  it('usage errors exit 2: no project, a malformed project, a bad region, versions without --model, --limit 0; a plain-http endpoint elsewhere exits 1', async () => {
    assert.equal((await run('endpoints', 'list', '--region', 'us-central1', ...api())).code, 2);
    assert.equal((await run('jobs', 'list', '--project', 'p', '--region', 'us/central1', ...api())).code, 2);
    assert.equal((await run('versions', 'list', '--project', 'p', '--region', 'us-central1', ...api())).code, 2);
    assert.equal((await run('endpoints', 'list', '--project', 'p', '--region', 'us-central1', '--limit', '0', ...api())).code, 2);
    assert.equal((await run('endpoints', 'list', '--project', 'Not_A_Project', '--region', 'us-central1', ...api())).code, 2);
    const insecure = await run('endpoints', 'list', '--project', 'demo-project', '--region', 'us-central1', '--api-endpoint', 'http://10.1.2.3:8080');
    assert.equal(insecure.code, 1);
    assert.match(insecure.err, /unencrypted/);
  });

  it('never prints the access token', () => {
    assert.ok(outputs.join('').length > 1000);
    assert.ok(!outputs.join('\n').includes(TOKEN));
  });
});
