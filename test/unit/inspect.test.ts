import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { inspectModel, readModel } from '../../src/core/model/inspect';
import { listSignaturesLazy } from '../../src/core/model/lazy';
import { scanGraphOps } from '../../src/core/model/opscan';
import { collectOpUsage, readSavedModelFile } from '../../src/core/model/savedmodel';
import { ModelFormatError, ModelNotFoundError } from '../../src/core/errors';
import { savedModel } from '../helpers/fixtures';
import { mkdtemp, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BINARY = [
  ['saved_model_half_plus_two_cpu', '00000123'],
  ['saved_model_half_plus_two_2_versions', '00000124'],
  ['saved_model_half_plus_three', '00000123'],
  ['saved_model_half_plus_two_tf2_cpu', '00000123'],
  ['times_three_float'],
  ['times_two_int'],
] as const;

describe('model facade', () => {
  for (const parts of BINARY) {
    it(`the streaming op scan equals the full decode's op usage: ${parts.join('/')}`, async () => {
      const file = savedModel(...parts, 'saved_model.pb');
      const lazy = await listSignaturesLazy(file);
      const range = lazy.layout[0].graphDef;
      assert.ok(range, 'graph_def located');
      const scanned = await scanGraphOps(file, range);
      const full = collectOpUsage((await readSavedModelFile(file)).message.meta_graphs?.[0]?.graph_def);
      assert.ok(full.length > 3);
      assert.deepEqual(scanned, full);
    });
  }

  it('inspectModel gathers signatures, variables with sizes, assets and lint for a TF1 model', async () => {
    const i = await inspectModel(savedModel('saved_model_half_plus_two_cpu'));
    assert.equal(i.summary.version, '00000123');
    assert.deepEqual(i.variables?.map((v) => [v.key, v.dtype, v.bytes]), [
      ['a', 'DT_FLOAT', 4], ['a2', 'DT_FLOAT', 4], ['b', 'DT_FLOAT', 4], ['c', 'DT_FLOAT', 4], ['c2', 'DT_FLOAT', 4],
    ]);
    assert.deepEqual(i.assets, [{ filename: 'foo.txt', bytes: 19 }]);
    assert.deepEqual(i.lint, []);
    assert.ok(i.summary.metaGraphs[0].ops?.some((o) => o.op === 'ParseExample'));
    assert.ok(i.fileBytes > 1000);
  });

  it('inspectModel on the text-format fixture reads signatures and has no variables folder', async () => {
    const i = await inspectModel(savedModel('half_plus_two_pbtxt'));
    assert.equal(i.summary.file.endsWith('saved_model.pbtxt'), true);
    assert.deepEqual(i.summary.metaGraphs[0].signatures.map((s) => s.name), ['serving_default', 'tensorflow/serving/regress']);
    assert.equal(i.variables, undefined);
    assert.ok(i.lint.some((f) => f.code === 'missing-dtype-in-signature'));
  });

  it('readModel refuses a folder with no model, and a corrupt file gives a ModelFormatError naming it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'servelens-facade-'));
    await assert.rejects(readModel(dir), (e: unknown) => e instanceof ModelNotFoundError);
    const bytes = await readFile(savedModel('times_two_int', 'saved_model.pb'));
    await writeFile(join(dir, 'saved_model.pb'), bytes.subarray(0, bytes.length - 100));
    await assert.rejects(readModel(dir), (e: unknown) => e instanceof ModelFormatError && e.file.endsWith('saved_model.pb') && typeof e.offset === 'number');
  });
});
