/**
 * StorageClient.uploadObject against the emulator: a simple media upload (exact bytes, content
 * type, a new generation per upload), read back through metadata, media, ranges and listing; the
 * precondition that refuses to replace; refusals (no bucket, no access); never retried; a reset
 * forgets the uploads. What a Vertex AI batch job reads its input from.
 */
import { strict as assert } from 'node:assert';
import { after, before, beforeEach, describe, it } from 'node:test';
import { FixedTokenSource } from '../../src/core/cloud/auth';
import { isCloudError, type CloudErrorReason } from '../../src/core/cloud/errors';
import { HttpClient } from '../../src/core/cloud/http';
import { StorageClient } from '../../src/core/cloud/storage';
import { UsageError } from '../../src/core/errors';
import { startEmulator, type Emulator } from '../emulator/server';

const TOKEN = 'ya29.servelens-test-token';
const PROJECT = 'servelens-demo';
const BUCKET = 'servelens-demo-data';

let emu: Emulator;
before(async () => {
  emu = await startEmulator();
});
after(async () => {
  await emu.close();
});
beforeEach(() => {
  emu.reset();
});

const storage = () =>
  new StorageClient({
    http: new HttpClient({ credentials: new FixedTokenSource(TOKEN), retry: { initialDelayMs: 5, maxDelayMs: 20 } }),
    apiEndpoint: emu.url,
  });
const uploads = () => emu.requests().filter((r) => r.path.startsWith('/upload/storage/v1/'));

async function fails(p: Promise<unknown>, reason: CloudErrorReason): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(isCloudError(err), `expected a CloudError, got ${String(err)}`);
    assert.equal(err.reason, reason, err.message);
    assert.ok(!err.message.includes(TOKEN) && !(err.hint ?? '').includes(TOKEN), 'no token in the error');
    return true;
  });
}

describe('StorageClient.uploadObject (simple media upload)', () => {
  const LINES = '{"instances": 1.0}\n[2.0]\n5.0\n';

  it('POSTs the bytes to /upload/storage/v1/b/{bucket}/o?uploadType=media&name=..., with the token and content type', async () => {
    const obj = await storage().uploadObject(BUCKET, 'batch/in put é.jsonl', LINES, 'application/jsonl');
    assert.equal(obj.bucket, BUCKET);
    assert.equal(obj.name, 'batch/in put é.jsonl');
    assert.equal(obj.size, String(Buffer.byteLength(LINES)));
    assert.equal(obj.contentType, 'application/jsonl');
    assert.match(obj.generation, /^\d+$/);
    const [r, ...more] = uploads();
    assert.equal(more.length, 0);
    assert.equal(r!.method, 'POST');
    assert.equal(r!.path, `/upload/storage/v1/b/${BUCKET}/o`);
    const q = new URLSearchParams(r!.query);
    assert.equal(q.get('uploadType'), 'media');
    assert.equal(q.get('name'), 'batch/in put é.jsonl');
    assert.equal(r!.headers['content-type'], 'application/jsonl');
    assert.equal(r!.authorization, true);
  });

  it('reads back: metadata, media byte for byte (and a range), listing under the prefix', async () => {
    const bytes = Uint8Array.from([0, 1, 2, 250, 255, 10, 13]);
    const s = storage();
    const up = await s.uploadObject(BUCKET, 'data/blob.bin', bytes, 'application/octet-stream');
    const meta = await s.getObject(BUCKET, 'data/blob.bin');
    assert.equal(meta.generation, up.generation);
    assert.equal(meta.size, '7');
    assert.equal(meta.md5Hash, up.md5Hash);
    const back = await s.readObject(BUCKET, 'data/blob.bin', { maxBytes: 1024, generation: up.generation });
    assert.deepEqual([...back], [...bytes]);
    const res = await fetch(`${emu.url}/storage/v1/b/${BUCKET}/o/${encodeURIComponent('data/blob.bin')}?alt=media`, {
      headers: { authorization: `Bearer ${TOKEN}`, range: 'bytes=2-4' },
    });
    assert.equal(res.status, 206);
    assert.deepEqual([...new Uint8Array(await res.arrayBuffer())], [2, 250, 255]);
    await s.uploadObject(BUCKET, 'data/other.txt', 'x', 'text/plain');
    const page = await s.listObjects(BUCKET, { prefix: 'data/' });
    assert.deepEqual(page.items.map((o) => o.name), ['data/blob.bin', 'data/other.txt']);
  });

  it('a second upload of the same name replaces it with a newer generation; ifGenerationMatch=0 refuses to replace (412)', async () => {
    const s = storage();
    const a = await s.uploadObject(BUCKET, 'x.jsonl', 'one\n', 'application/jsonl', { ifGenerationMatch: '0' });
    const b = await s.uploadObject(BUCKET, 'x.jsonl', 'two\n', 'application/jsonl');
    assert.ok(BigInt(b.generation) > BigInt(a.generation), `${b.generation} > ${a.generation}`);
    assert.equal((await s.readObject(BUCKET, 'x.jsonl', { maxBytes: 100 })).toString(), 'two\n');
    await fails(s.uploadObject(BUCKET, 'x.jsonl', 'three\n', 'application/jsonl', { ifGenerationMatch: '0' }), 'failed-precondition');
    assert.equal((await s.readObject(BUCKET, 'x.jsonl', { maxBytes: 100 })).toString(), 'two\n');
    // A mounted file counts as existing too.
    await fails(
      s.uploadObject('servelens-fixtures', 'savedmodels/saved_model_half_plus_two_cpu/00000123/saved_model.pb', 'x', 'text/plain', { ifGenerationMatch: '0' }),
      'failed-precondition',
    );
  });

  it('an unknown bucket is not-found; a refused project is permission-denied; neither stores anything', async () => {
    await fails(storage().uploadObject('no-such-bucket', 'a.jsonl', 'x', 'application/jsonl'), 'not-found');
    emu.setAccess(PROJECT, 'PERMISSION_DENIED', 'storage.googleapis.com');
    await fails(storage().uploadObject(BUCKET, 'a.jsonl', 'x', 'application/jsonl'), 'permission-denied');
    emu.setAccess(PROJECT, null, 'storage.googleapis.com');
    await fails(storage().getObject(BUCKET, 'a.jsonl'), 'not-found');
  });

  it('is never retried: a 503 or 429 fails after one request', async () => {
    for (const status of [503, 429]) {
      emu.clearRequests();
      emu.faults.add({ path: /^\/upload\//, kind: 'status', status, times: 3 });
      await fails(storage().uploadObject(BUCKET, 'r.jsonl', 'x', 'application/jsonl'), status === 503 ? 'unavailable' : 'quota');
      assert.equal(uploads().length, 1, `one upload request for ${status}`);
      emu.faults.clear();
    }
  });

  it('refuses bad bucket and object names before sending anything', () => {
    assert.throws(() => storage().uploadObject('Bad_Bucket!', 'a', 'x', 'text/plain'), UsageError);
    assert.throws(() => storage().uploadObject(BUCKET, '', 'x', 'text/plain'), UsageError);
    assert.throws(() => storage().uploadObject(BUCKET, 'a\nb', 'x', 'text/plain'), UsageError);
    assert.equal(uploads().length, 0);
  });

  it('the emulator refuses other upload types and a missing name; a reset forgets uploads', async () => {
    const post = (query: string) =>
      fetch(`${emu.url}/upload/storage/v1/b/${BUCKET}/o?${query}`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` }, body: 'x' });
    assert.equal((await post('uploadType=resumable&name=a')).status, 400);
    assert.equal((await post('uploadType=media')).status, 400);
    assert.equal((await post('name=a')).status, 400);
    await storage().uploadObject(BUCKET, 'gone.jsonl', 'x', 'application/jsonl');
    emu.reset();
    await fails(storage().getObject(BUCKET, 'gone.jsonl'), 'not-found');
  });
});
