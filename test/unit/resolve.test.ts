import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ModelNotFoundError, ServeLensError } from '../../src/core/errors';
import { resolveModelPath } from '../../src/core/model/resolve';
import { savedModel } from '../helpers/fixtures';

describe('resolveModelPath on the fixtures', () => {
  it('picks the highest numeric version of a TF Serving base directory', async () => {
    const base = savedModel('saved_model_half_plus_two_2_versions');
    const r = await resolveModelPath(base);
    assert.deepEqual(r, {
      kind: 'savedmodel-pb',
      file: join(base, '00000124', 'saved_model.pb'),
      dir: join(base, '00000124'),
      version: '00000124',
      versions: ['00000123', '00000124'],
    });
  });

  it('uses an explicit version, by number or by folder name', async () => {
    const base = savedModel('saved_model_half_plus_two_2_versions');
    for (const version of ['123', '00000123', '0123']) {
      const r = await resolveModelPath(base, { version });
      assert.equal(r.version, '00000123', version);
      assert.equal(r.file, join(base, '00000123', 'saved_model.pb'));
    }
  });

  it('says which versions exist when the asked one does not', async () => {
    await assert.rejects(
      resolveModelPath(savedModel('saved_model_half_plus_two_2_versions'), { version: '125' }),
      (err: unknown) =>
        err instanceof ModelNotFoundError && /no version 125/.test(err.message) && /00000123, 00000124/.test(err.message),
    );
  });

  it('accepts a SavedModel directory and a saved_model.pb file directly', async () => {
    const dir = savedModel('saved_model_half_plus_two_cpu', '00000123');
    const fromDir = await resolveModelPath(dir);
    assert.deepEqual(fromDir, { kind: 'savedmodel-pb', file: join(dir, 'saved_model.pb'), dir });
    const fromFile = await resolveModelPath(join(dir, 'saved_model.pb'));
    assert.deepEqual(fromFile, fromDir);
    const noVersionDir = await resolveModelPath(savedModel('times_two_int'));
    assert.equal(noVersionDir.version, undefined);
    assert.equal(noVersionDir.file, savedModel('times_two_int', 'saved_model.pb'));
  });

  it('finds the text-format SavedModel, as a base dir and as a file', async () => {
    const base = savedModel('half_plus_two_pbtxt');
    const r = await resolveModelPath(base);
    assert.equal(r.kind, 'savedmodel-pbtxt');
    assert.equal(r.file, join(base, '00000123', 'saved_model.pbtxt'));
    assert.equal(r.version, '00000123');
    const f = await resolveModelPath(r.file);
    assert.equal(f.kind, 'savedmodel-pbtxt');
    assert.equal(f.dir, join(base, '00000123'));
  });

  it('refuses a version for a path that is not a base directory', async () => {
    await assert.rejects(resolveModelPath(savedModel('times_two_int'), { version: '1' }), (err: unknown) =>
      ServeLensError.is(err, 'usage'),
    );
  });

  it('reports a missing path', async () => {
    await assert.rejects(
      resolveModelPath(savedModel('does_not_exist')),
      (err: unknown) => err instanceof ModelNotFoundError && /does not exist/.test(err.message) && !!err.hint,
    );
  });
});

describe('resolveModelPath on odd layouts', () => {
  let root = '';
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'servelens-resolve-'));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  async function layout(name: string, files: Record<string, string>): Promise<string> {
    const dir = join(root, name);
    await mkdir(dir, { recursive: true });
    for (const [rel, content] of Object.entries(files)) {
      await mkdir(join(dir, rel, '..'), { recursive: true });
      if (rel.endsWith('/')) await mkdir(join(dir, rel), { recursive: true });
      else await writeFile(join(dir, rel), content);
    }
    return dir;
  }

  it('prefers saved_model.pb over saved_model.pbtxt', async () => {
    const dir = await layout('both', { 'saved_model.pb': '', 'saved_model.pbtxt': '' });
    assert.equal((await resolveModelPath(dir)).kind, 'savedmodel-pb');
  });

  it('compares versions as numbers, ignores non-numeric names and plain files', async () => {
    const dir = await layout('numeric', {
      '9/saved_model.pb': '',
      '10/saved_model.pb': '',
      '0011/saved_model.pb': '',
      'abc/saved_model.pb': '',
      '12x/saved_model.pb': '',
      '-13/saved_model.pb': '',
      '99999999999999999999/saved_model.pb': '', // beyond int64: TF Serving cannot parse it
      '14': 'a file, not a folder',
    });
    const r = await resolveModelPath(dir);
    assert.equal(r.version, '0011');
    assert.deepEqual(r.versions, ['9', '10', '0011']);
    assert.equal(r.file, join(dir, '0011', 'saved_model.pb'));
  });

  it('follows a symlinked version folder', async () => {
    const target = await layout('link-target', { 'saved_model.pb': '' });
    const dir = await layout('linked', { '1/saved_model.pb': '' });
    await symlink(target, join(dir, '2'));
    const r = await resolveModelPath(dir);
    assert.equal(r.version, '2');
    assert.equal(r.file, join(dir, '2', 'saved_model.pb'));
  });

  it('does not fall back to a lower version when the highest holds no model', async () => {
    const dir = await layout('broken-highest', { '1/saved_model.pb': '', '2/variables/': '' });
    await assert.rejects(
      resolveModelPath(dir),
      (err: unknown) => err instanceof ModelNotFoundError && err.path === join(dir, '2') && /highest version/.test(err.message),
    );
    assert.equal((await resolveModelPath(dir, { version: '1' })).version, '1');
  });

  it('accepts a tfjs folder and a model.json file', async () => {
    const dir = await layout('tfjs', { 'model.json': '{}', 'group1-shard1of1.bin': '' });
    assert.deepEqual(await resolveModelPath(dir), { kind: 'tfjs', file: join(dir, 'model.json'), dir });
    assert.equal((await resolveModelPath(join(dir, 'model.json'))).kind, 'tfjs');
  });

  it('says what it found in a folder without a model', async () => {
    const dir = await layout('nothing', { 'README.md': '', 'checkpoints/': '' });
    await assert.rejects(
      resolveModelPath(dir),
      (err: unknown) =>
        err instanceof ModelNotFoundError && /checkpoints\//.test(err.message) && /README\.md/.test(err.message),
    );
    const empty = await layout('empty', {});
    await assert.rejects(resolveModelPath(empty), (err: unknown) => err instanceof ModelNotFoundError && /empty/.test(err.message));
  });

  it('rejects a file that is not a model file', async () => {
    const dir = await layout('other-file', { 'weights.h5': '' });
    await assert.rejects(
      resolveModelPath(join(dir, 'weights.h5')),
      (err: unknown) => err instanceof ModelNotFoundError && /weights\.h5/.test(err.message),
    );
  });
});
