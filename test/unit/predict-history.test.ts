/**
 * The call history: newest first, get/delete/clear, bounds by count and by bytes (oldest evicted,
 * their body files removed), a corrupt index read without throwing (the readable lines kept), no
 * token in any stored file; and compare() of two prediction responses.
 */
import { strict as assert } from 'node:assert';
import { mkdtemp, readFile, readdir, rm, writeFile, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, beforeEach, describe, it } from 'node:test';
import { rememberSecret } from '../../src/core/cloud/secrets';
import { CallHistory, compare, sha256, type NewEntry } from '../../src/core/predict/history';

const TOKEN = 'ya29.history-test-token-abcdef';
const dirs: string[] = [];
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'servelens-history-'));
  dirs.push(dir);
});
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const target = { kind: 'vertex' as const, name: 'projects/p/locations/us-central1/endpoints/1', label: 'Vertex AI endpoint 1 (us-central1)' };
const entry = (i: number, extra: Partial<NewEntry> = {}): NewEntry => ({
  op: 'predict',
  target,
  file: 'requests/a.request.json',
  request: `{"instances": [${i}]}`,
  response: `{"predictions": [${0.5 * i + 2}]}`,
  status: 'ok',
  latencyMs: 10 + i,
  time: new Date(Date.UTC(2026, 0, 1, 0, 0, i)),
  ...extra,
});

async function allFiles(d: string): Promise<string[]> {
  const out: string[] = [];
  for (const n of await readdir(d, { withFileTypes: true })) {
    if (n.isDirectory()) out.push(...(await allFiles(join(d, n.name))));
    else out.push(join(d, n.name));
  }
  return out;
}

describe('CallHistory', () => {
  it('adds, lists newest first, gets with bodies, deletes, clears', async () => {
    const h = new CallHistory(dir);
    const a = await h.add(entry(1));
    const b = await h.add(entry(2, { status: 'error', error: 'Vertex AI: 400\nsecond line', response: '{"error": {"code": 400}}', httpStatus: 400 }));
    const list = await h.list();
    assert.deepEqual(list.map((e) => e.id), [b.id, a.id]);
    assert.equal(a.requestHash, sha256('{"instances": [1]}'));
    assert.equal(a.requestBytes, Buffer.byteLength('{"instances": [1]}'));
    assert.equal(a.responseBytes, Buffer.byteLength('{"predictions": [2.5]}'));
    assert.equal(a.time, '2026-01-01T00:00:01.000Z');
    assert.equal(b.error, 'Vertex AI: 400', 'one line');
    const got = await h.get(a.id);
    assert.equal(got!.request, '{"instances": [1]}');
    assert.equal(got!.response, '{"predictions": [2.5]}');
    assert.equal(await h.get('nonexistent1'), undefined);
    assert.equal(await h.delete(a.id), true);
    assert.equal(await h.delete(a.id), false);
    assert.deepEqual((await h.list()).map((e) => e.id), [b.id]);
    assert.ok(!(await allFiles(dir)).some((f) => f.includes(a.id)), 'the bodies went with it');
    await h.clear();
    assert.deepEqual(await h.list(), []);
    assert.deepEqual((await allFiles(dir)).map((f) => f.slice(dir.length + 1)), ['index.jsonl']);
    // A new instance reads what the old one wrote.
    await h.add(entry(3));
    assert.equal((await new CallHistory(dir).list()).length, 1);
  });

  it('bounded by count: the oldest are evicted with their body files', async () => {
    const h = new CallHistory(dir, { maxEntries: 3 });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await h.add(entry(i))).id);
    assert.deepEqual((await h.list()).map((e) => e.id), ids.slice(2).reverse());
    const files = await allFiles(join(dir, 'bodies'));
    assert.equal(files.length, 6);
    for (const id of ids.slice(0, 2)) assert.ok(!files.some((f) => f.includes(id)));
  });

  it('bounded by bytes: the oldest go until the bodies fit; a call larger than the bound keeps no bodies', async () => {
    const size = Buffer.byteLength(entry(1).request) + Buffer.byteLength(entry(1).response!);
    const h = new CallHistory(dir, { maxBytes: size * 2 + 1 });
    for (let i = 1; i <= 4; i++) await h.add(entry(i));
    const list = await h.list();
    assert.equal(list.length, 2);
    assert.ok((await h.totalBytes()) <= size * 2 + 1);
    const big = await h.add(entry(5, { request: `{"instances": [${'1,'.repeat(200)}1]}` }));
    assert.equal(big.bodiesDropped, true);
    const stored = await h.get(big.id);
    assert.equal(stored!.request, undefined);
    assert.equal((await h.list())[0]!.id, big.id, 'the entry itself is kept');
  });

  it('a corrupt index: no throw, the lines that read are kept, orphaned bodies removed', async () => {
    const h = new CallHistory(dir);
    const a = await h.add(entry(1));
    const b = await h.add(entry(2));
    await appendFile(join(dir, 'index.jsonl'), '{"id": "broken", "tim\n not json at all\n{"id":"zz"}\n');
    await writeFile(join(dir, 'bodies', 'orphan00000.request'), 'x');
    const fresh = new CallHistory(dir);
    const list = await fresh.list();
    assert.deepEqual(list.map((e) => e.id), [b.id, a.id]);
    assert.equal(fresh.droppedLines, 3);
    assert.ok(!(await allFiles(dir)).some((f) => f.includes('orphan')));
    assert.equal((await readFile(join(dir, 'index.jsonl'), 'utf8')).trim().split('\n').length, 2, 'rewritten without the bad lines');
    // Garbage from the first byte: start fresh.
    await writeFile(join(dir, 'index.jsonl'), '\u0000\u0001garbage');
    const third = new CallHistory(dir);
    assert.deepEqual(await third.list(), []);
    await third.add(entry(3));
    assert.equal((await third.list()).length, 1);
  });

  it('writes are atomic (no temporary files left) and concurrent adds all land', async () => {
    const h = new CallHistory(dir);
    await Promise.all(Array.from({ length: 20 }, (_, i) => h.add(entry(i))));
    assert.equal((await h.list()).length, 20);
    assert.ok(!(await allFiles(dir)).some((f) => f.endsWith('.tmp')));
    assert.equal((await new CallHistory(dir).list()).length, 20);
  });

  it('never stores a token: requests, responses, errors, targets and file names are redacted', async () => {
    rememberSecret(TOKEN);
    const h = new CallHistory(dir);
    await h.add({
      op: 'explain',
      target: { kind: 'tf-serving', name: `http://localhost:8501/${TOKEN}`, label: `TF Serving ${TOKEN}` },
      file: `/tmp/${TOKEN}.json`,
      request: JSON.stringify({ instances: [1], note: `Bearer ${TOKEN}` }),
      response: `{"echo": "${TOKEN}", "other": "ya29.someOtherTokenWeNeverSaw"}`,
      status: 'error',
      error: `401 for Authorization: Bearer ${TOKEN}`,
    });
    for (const f of await allFiles(dir)) {
      const text = await readFile(f, 'utf8');
      assert.ok(!text.includes(TOKEN), `${f} holds the token`);
      assert.ok(!text.includes('ya29.someOtherTokenWeNeverSaw'), `${f} holds a token-shaped string`);
    }
    assert.match((await h.list())[0]!.error!, /\[redacted\]/);
  });

  it('previous(): the last successful response of the same file and target', async () => {
    const h = new CallHistory(dir);
    const a = await h.add(entry(1));
    await h.add(entry(2, { file: 'other.json' }));
    await h.add(entry(3, { status: 'error', error: 'x' }));
    const c = await h.add(entry(4));
    const prev = await h.previous('requests/a.request.json', target, c.id);
    assert.equal(prev!.entry.id, a.id);
    assert.equal((await h.previous('requests/a.request.json', target))!.entry.id, c.id);
    assert.equal(await h.previous('requests/a.request.json', { kind: 'local', name: 'x' }), undefined);
  });
});

describe('compare()', () => {
  it('per instance and output numeric deltas, largest first', () => {
    const d = compare('{"predictions": [{"scores": [0.1, 0.9]}, {"scores": [0.5, 0.5]}], "deployedModelId": "1"}', '{"predictions": [{"scores": [0.2, 0.8]}, {"scores": [0.5, 0.5]}], "deployedModelId": "2"}');
    assert.equal(d.same, false);
    assert.equal(d.numbers, 4);
    assert.equal(d.changedNumbers, 2);
    assert.ok(Math.abs(d.maxAbsDelta - 0.1) < 1e-12);
    assert.deepEqual(d.changes.map((c) => c.path).sort(), ['predictions[0].scores[0]', 'predictions[0].scores[1]']);
    assert.equal(d.instances.length, 2);
    assert.ok(Math.abs(d.instances[0]!.outputs.scores! - 0.1) < 1e-12);
    assert.equal(d.instances[1]!.outputs.scores, 0);
    assert.ok(!d.changes.some((c) => c.path === 'deployedModelId'), 'who answered is not a difference');
  });

  it('the same body is same; tolerance; structural changes; a bare value per instance', () => {
    assert.equal(compare('{"predictions": [2.5, 3.0]}', { predictions: [2.5, 3.0] }).same, true);
    assert.equal(compare({ predictions: [1.0] }, { predictions: [1.0000001] }, { tolerance: 1e-6 }).same, true);
    const s = compare({ predictions: [1, 2] }, { predictions: [1, 'x', 3] });
    assert.deepEqual(s.changes.map((c) => [c.path, c.kind]), [['predictions[1]', 'type'], ['predictions[2]', 'added']]);
    assert.equal(s.instances.find((i) => i.index === 2)!.structural, 1);
    const bare = compare({ predictions: [2.5] }, { predictions: [3.5] });
    assert.equal(bare.instances[0]!.outputs[''], 1);
    assert.equal(bare.changes[0]!.delta, 1);
  });

  it('not JSON: compared as text; the change list is capped', () => {
    assert.equal(compare('oops', 'oops').same, true);
    assert.equal(compare('oops', 'nope').notJson, true);
    const many = compare({ outputs: Array.from({ length: 100 }, () => 0) }, { outputs: Array.from({ length: 100 }, (_, i) => i + 1) }, { maxChanges: 10 });
    assert.equal(many.changes.length, 10);
    assert.equal(many.truncated, true);
    assert.equal(many.changes[0]!.path, 'outputs[99]');
  });
});
