/**
 * Fault injection and the control routes: every fault kind as a client sees it on the wire, `times`,
 * method and path matching, error bodies per route family, the request log (no token values), and
 * the same over HTTP (`/__emulator/...`).
 */
import { strict as assert } from 'node:assert';
import { request } from 'node:http';
import { after, before, beforeEach, describe, it } from 'node:test';
import { FaultSet } from '../emulator/faults';
import { startEmulator, type Emulator } from '../emulator/server';

const TOKEN = 'ya29.servelens-test-token';
const LIST = '/v1/projects/servelens-demo/locations/us-central1/endpoints';

let emu: Emulator;

function get(path: string, headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }, init: RequestInit = {}): Promise<Response> {
  return fetch(`${emu.url}${path}`, { ...init, headers });
}

/** A raw GET that reports what arrived before the connection ended (fetch hides partial bodies). */
function raw(path: string): Promise<{ status?: number; length?: number; received: number; error?: string }> {
  return new Promise((resolve) => {
    const req = request(`${emu.url}${path}`, { headers: { authorization: `Bearer ${TOKEN}`, connection: 'close' } }, (res) => {
      let received = 0;
      res.on('data', (c: Buffer) => (received += c.length));
      res.on('end', () => resolve({ status: res.statusCode, length: Number(res.headers['content-length']), received }));
      res.on('error', (e) => resolve({ status: res.statusCode, length: Number(res.headers['content-length']), received, error: (e as NodeJS.ErrnoException).code ?? e.message }));
      res.on('aborted', () => resolve({ status: res.statusCode, length: Number(res.headers['content-length']), received, error: 'aborted' }));
    });
    req.on('error', (e) => resolve({ received: 0, error: (e as NodeJS.ErrnoException).code ?? e.message }));
    req.end();
  });
}

before(async () => {
  emu = await startEmulator();
});
after(async () => {
  await emu.close();
});
beforeEach(() => emu.reset());

describe('emulator faults', () => {
  it('status 429 with Retry-After twice, then the real answer; the log shows each try, the token never', async () => {
    emu.faults.add({ path: LIST, kind: 'status', status: 429, retryAfter: 2, times: 2 });
    for (let i = 0; i < 2; i++) {
      const r = await get(LIST);
      assert.equal(r.status, 429);
      assert.equal(r.headers.get('retry-after'), '2');
      const body = (await r.json()) as { error: { code: number; status: string; message: string } };
      assert.equal(body.error.code, 429);
      assert.equal(body.error.status, 'RESOURCE_EXHAUSTED');
    }
    assert.equal((await get(LIST)).status, 200);
    assert.equal(emu.faults.list().length, 0, 'used up');
    const log = emu.requests();
    assert.deepEqual(log.map((r) => [r.method, r.path, r.status, r.fault]), [
      ['GET', LIST, 429, 'status'], ['GET', LIST, 429, 'status'], ['GET', LIST, 200, undefined],
    ]);
    assert.ok(log.every((r) => r.authorization && !('authorization' in r.headers)));
    assert.doesNotMatch(JSON.stringify(log), /servelens-test-token/);
    const overHttp = await (await fetch(`${emu.url}/__emulator/requests?path=${encodeURIComponent(LIST)}`)).json();
    assert.deepEqual(overHttp, log);
  });

  it('error bodies follow the route family: google.rpc.Status, GFE HTML for 502, Cloud Storage, TF Serving, metadata', async () => {
    emu.faults.add({ path: /./, kind: 'status', status: 503, times: 1 });
    const g = (await (await get(LIST)).json()) as { error: { status: string } };
    assert.equal(g.error.status, 'UNAVAILABLE');
    emu.faults.add({ path: LIST, kind: 'status', status: 502, times: 1 });
    const html = await get(LIST);
    assert.equal(html.status, 502);
    assert.match(html.headers.get('content-type')!, /^text\/html/);
    emu.faults.add({ path: '/storage/*', kind: 'status', status: 500, times: 1 });
    const s = (await (await get('/storage/v1/b/servelens-fixtures/o')).json()) as { error: { code: number; errors: { reason: string }[] } };
    assert.equal(s.error.errors[0]!.reason, 'backendError');
    emu.faults.add({ path: '/v1/models/half_plus_two', kind: 'status', status: 503, times: 1 });
    assert.match(((await (await get('/v1/models/half_plus_two')).json()) as { error: string }).error, /503/);
    emu.faults.add({ path: /token$/, kind: 'status', status: 500, times: 1 });
    const m = await get('/computeMetadata/v1/instance/service-accounts/default/token', { 'metadata-flavor': 'Google' });
    assert.equal(m.status, 500);
    assert.equal(m.headers.get('metadata-flavor'), 'Google');
    emu.faults.add({ path: LIST, kind: 'status', status: 400, body: { error: { code: 400, message: 'custom', status: 'INVALID_ARGUMENT' } }, times: 1 });
    assert.equal(((await (await get(LIST)).json()) as { error: { message: string } }).error.message, 'custom');
  });

  it('latency delays the answer (and adds up); method and prefix matching', async () => {
    emu.faults.add({ path: `${LIST}*`, kind: 'latency', ms: 120 });
    emu.faults.add({ method: 'GET', path: LIST, kind: 'latency', ms: 80, times: 1 });
    emu.faults.add({ method: 'POST', path: LIST, kind: 'status', status: 500 });
    let t = Date.now();
    assert.equal((await get(LIST)).status, 200, 'the POST-only fault does not apply to GET');
    assert.ok(Date.now() - t >= 190, `both latencies: ${Date.now() - t} ms`);
    t = Date.now();
    assert.equal((await get(`${LIST}/2281564539145093120`)).status, 200);
    const d = Date.now() - t;
    assert.ok(d >= 110 && d < 1000, `prefix latency only: ${d} ms`);
  });

  it('reset closes the connection without an answer; the next request is served', async () => {
    emu.faults.add({ path: LIST, kind: 'reset', times: 1 });
    await assert.rejects(get(LIST), (err: Error & { cause?: { code?: string } }) => err.cause?.code === 'ECONNRESET' || /ECONNRESET|socket|terminated/i.test(String(err.cause ?? err)));
    assert.equal((await get(LIST)).status, 200);
    assert.equal(emu.requests()[0]!.status, undefined);
    assert.equal(emu.requests()[0]!.fault, 'reset');
  });

  it('truncate sends the headers and half the body, then closes', async () => {
    emu.faults.add({ path: /saved_model\.pb$/, kind: 'truncate', times: 1 });
    const path = `/storage/v1/b/servelens-fixtures/o/${encodeURIComponent('savedmodels/saved_model_half_plus_two_cpu/00000123/saved_model.pb')}?alt=media`;
    const r = await raw(path);
    assert.equal(r.status, 200);
    assert.equal(r.length, 12107);
    assert.equal(r.received, Math.floor(12107 / 2));
    assert.ok(r.error, 'the body ends early');
    await assert.rejects(async () => {
      emu.faults.add({ path: LIST, kind: 'truncate', times: 1 });
      await (await get(LIST)).json();
    });
    const whole = await raw(path);
    assert.deepEqual([whole.received, whole.error], [12107, undefined]);
  });

  it('slow-body trickles the real body over ms', async () => {
    emu.faults.add({ path: LIST, kind: 'slow-body', ms: 300, times: 1 });
    const t = Date.now();
    const r = await get(LIST);
    assert.equal(r.status, 200);
    const body = (await r.json()) as { endpoints: unknown[] };
    assert.equal(body.endpoints.length, 3);
    assert.ok(Date.now() - t >= 270, `${Date.now() - t} ms`);
  });

  it('faults over HTTP: add (path or pathRegex, one or many), list, remove one, clear; bad specs are 400', async () => {
    const add = async (spec: unknown) => fetch(`${emu.url}/__emulator/faults`, { method: 'POST', body: JSON.stringify(spec) });
    const r = await add([{ pathRegex: '/endpoints$', kind: 'status', status: 503 }, { path: '/v1/models/half_plus_two', kind: 'latency', ms: 1 }]);
    const { ids } = (await r.json()) as { ids: number[] };
    assert.equal(ids.length, 2);
    const listed = (await (await fetch(`${emu.url}/__emulator/faults`)).json()) as { id: number; pathRegex?: string; path?: string }[];
    assert.deepEqual(listed.map((f) => [f.id, f.pathRegex ?? f.path]), [[ids[0], new RegExp('/endpoints$').source], [ids[1], '/v1/models/half_plus_two']]);
    assert.equal((await get(LIST)).status, 503);
    assert.equal((await fetch(`${emu.url}/__emulator/faults/${ids[0]}`, { method: 'DELETE' })).status, 200);
    assert.equal((await get(LIST)).status, 200);
    assert.equal((await fetch(`${emu.url}/__emulator/faults`, { method: 'DELETE' })).status, 200);
    assert.deepEqual(emu.faults.list(), []);
    for (const bad of [{ kind: 'explode', path: '/' }, { kind: 'status' }, { kind: 'status', pathRegex: '(' }, { kind: 'latency', path: '/', ms: -1 }, 'x']) {
      assert.equal((await add(bad)).status, 400, JSON.stringify(bad));
    }
    assert.equal((await fetch(`${emu.url}/__emulator/nothing`)).status, 404);
    // Control routes are neither faulted nor logged.
    assert.ok(emu.requests().every((q) => !q.path.startsWith('/__emulator')));
  });

  it('reset restores the seed state and clears faults and the log', async () => {
    const job = {
      displayName: 'j', model: 'projects/servelens-demo/locations/us-central1/models/4471256745123258368',
      inputConfig: { instancesFormat: 'jsonl', gcsSource: { uris: ['gs://b/i'] } },
      outputConfig: { predictionsFormat: 'jsonl', gcsDestination: { outputUriPrefix: 'gs://b/o' } },
    };
    const jobs = '/v1/projects/servelens-demo/locations/us-central1/batchPredictionJobs';
    assert.equal((await get(jobs, { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, { method: 'POST', body: JSON.stringify(job) })).status, 200);
    emu.faults.add({ path: '/x', kind: 'latency', ms: 1 });
    const count = async () => (((await (await get(jobs)).json()) as { batchPredictionJobs: unknown[] }).batchPredictionJobs.length);
    assert.equal(await count(), 4);
    assert.equal((await fetch(`${emu.url}/__emulator/reset`, { method: 'POST' })).status, 200);
    assert.deepEqual(emu.faults.list(), []);
    assert.equal(emu.requests().length, 0);
    assert.equal(await count(), 3);
  });

  it('FaultSet validates specs and counts times per fault', () => {
    const f = new FaultSet();
    assert.throws(() => f.add({ path: '/', kind: 'nope' as never }), TypeError);
    assert.throws(() => f.add({ path: '/', kind: 'status', status: 42 }), TypeError);
    assert.throws(() => f.add({ path: '/', kind: 'status', times: 0 }), TypeError);
    f.add({ path: '/a', kind: 'status', times: 2 });
    f.add({ path: '/a', kind: 'reset' });
    assert.equal(f.take('GET', '/a').fault?.kind, 'status');
    assert.equal(f.take('GET', '/a').fault?.kind, 'status');
    assert.equal(f.take('GET', '/a').fault?.kind, 'reset');
    assert.equal(f.take('GET', '/b').fault, undefined);
  });
});
