// The SavedModel inspector inside a real editor: each fixture opened with its custom editor, and
// what the webview rendered (read back from its DOM, posted to the host) compared with the
// fixture's signatures as its README lists them. A corrupt copy shows the typed error, and the
// inspector reads the file again when it changes on disk.
import * as assert from 'node:assert/strict';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { ServeLensApi } from '../../src/extension';
import type { InspectorSnapshot } from '../../src/vscode/inspector/registerInspector';
import { savedModel } from '../helpers/fixtures';

const EXTENSION_ID = 'servelens.servelens';

/** alias, dtype, shape as shown, tensor */
type T = [string, string, string, string];
interface ExpectedSig {
  method: string;
  inputs: T[];
  outputs: T[];
}

const F = 'DT_FLOAT';
const S = 'DT_STRING';
const U = 'unknown rank';
const HP2_TF1: Record<string, ExpectedSig> = {
  serving_default: { method: 'tensorflow/serving/predict', inputs: [['x', F, '[-1, 1]', 'x:0']], outputs: [['y', F, '[-1, 1]', 'y:0']] },
  regress_x_to_y: { method: 'tensorflow/serving/regress', inputs: [['inputs', S, U, 'tf_example:0']], outputs: [['outputs', F, '[-1, 1]', 'y:0']] },
  regress_x_to_y2: { method: 'tensorflow/serving/regress', inputs: [['inputs', S, U, 'tf_example:0']], outputs: [['outputs', F, '[-1, 1]', 'y2:0']] },
  regress_x2_to_y3: { method: 'tensorflow/serving/regress', inputs: [['inputs', F, '[-1, 1]', 'x2:0']], outputs: [['outputs', F, '[-1, 1]', 'y3:0']] },
  classify_x_to_y: { method: 'tensorflow/serving/classify', inputs: [['inputs', S, U, 'tf_example:0']], outputs: [['scores', F, '[-1, 1]', 'y:0']] },
};
const INIT_OP: ExpectedSig = { method: '', inputs: [], outputs: [['__saved_model_init_op', 'DT_INVALID', U, 'NoOp']] };
const P = 'tensorflow/serving/predict';

/** The fixtures' signatures, from the fixtures README (decoded from the real files by TensorFlow's tools). */
const FIXTURES: { path: string; file: string; versions: string[]; sigs: Record<string, ExpectedSig>; text: RegExp[] }[] = [
  {
    path: 'saved_model_half_plus_two_cpu/00000123',
    file: 'saved_model.pb',
    versions: ['00000123'],
    sigs: HP2_TF1,
    text: [/TensorFlow\s*1\.14\.0/, /5 variables/, /foo\.txt/],
  },
  {
    path: 'saved_model_half_plus_two_2_versions/00000124',
    file: 'saved_model.pb',
    versions: ['00000123', '00000124'],
    sigs: {
      ...HP2_TF1,
      classify_x2_to_y3: { method: 'tensorflow/serving/classify', inputs: [['inputs', F, '[-1, 1]', 'x2:0']], outputs: [['scores', F, '[-1, 1]', 'y3:0']] },
    },
    text: [/TensorFlow\s*1\.1\.0-rc2/, /3 variables/],
  },
  {
    path: 'saved_model_half_plus_three/00000123',
    file: 'saved_model.pb',
    versions: ['00000123'],
    sigs: {
      serving_default: { method: P, inputs: [['x', F, U, 'x:0']], outputs: [['y', F, U, 'y:0']] },
      'tensorflow/serving/regress': { method: 'tensorflow/serving/regress', inputs: [['inputs', F, U, 'tf_example:0']], outputs: [['outputs', F, U, 'Identity:0']] },
    },
    text: [/TensorFlow\s*1\.0\.0-rc2/],
  },
  {
    path: 'saved_model_half_plus_two_tf2_cpu/00000123',
    file: 'saved_model.pb',
    versions: ['00000123'],
    sigs: {
      serving_default: { method: P, inputs: [['x', F, '[1]', 'serving_default_x:0']], outputs: [['y', F, '[1]', 'StatefulPartitionedCall_5:0']] },
      regress_x_to_y: { method: P, inputs: [['inputs', S, '[-1]', 'regress_x_to_y_inputs:0']], outputs: [['outputs', F, '[-1, 1]', 'StatefulPartitionedCall_3:0']] },
      regress_x_to_y2: { method: P, inputs: [['inputs', S, '[-1]', 'regress_x_to_y2_inputs:0']], outputs: [['outputs', F, '[-1, 1]', 'StatefulPartitionedCall_4:0']] },
      regress_x2_to_y3: { method: P, inputs: [['inputs', F, '[1]', 'regress_x2_to_y3_inputs:0']], outputs: [['outputs', F, '[1]', 'StatefulPartitionedCall_2:0']] },
      classify_x_to_y: { method: P, inputs: [['inputs', S, '[-1]', 'classify_x_to_y_inputs:0']], outputs: [['scores', F, '[-1, 1]', 'StatefulPartitionedCall_1:0']] },
      classify_x2_to_y3: { method: P, inputs: [['inputs', F, '[1]', 'classify_x2_to_y3_inputs:0']], outputs: [['scores', F, '[1]', 'StatefulPartitionedCall:0']] },
      __saved_model_init_op: INIT_OP,
    },
    // fingerprint.pb's saved_model_checksum, exact (a uint64 beyond 2^53).
    text: [/TensorFlow\s*2\.14\.0/, /3202314178945370836/, /TF2 \(object graph\)/],
  },
  {
    path: 'times_three_float',
    file: 'saved_model.pb',
    versions: [],
    sigs: {
      serving_default: { method: P, inputs: [['x', F, '[]', 'serving_default_x:0']], outputs: [['output_0', F, '[]', 'StatefulPartitionedCall:0']] },
      __saved_model_init_op: INIT_OP,
    },
    text: [/v\/\.ATTRIBUTES\/VARIABLE_VALUE/],
  },
  {
    path: 'times_two_int',
    file: 'saved_model.pb',
    versions: [],
    sigs: {
      serving_default: { method: P, inputs: [['x', 'DT_INT32', '[]', 'serving_default_x:0']], outputs: [['output_0', 'DT_INT32', '[]', 'StatefulPartitionedCall:0']] },
      __saved_model_init_op: INIT_OP,
    },
    text: [],
  },
  {
    path: 'half_plus_two_pbtxt/00000123',
    file: 'saved_model.pbtxt',
    versions: ['00000123'],
    sigs: {
      serving_default: { method: P, inputs: [['x', 'DT_INVALID', U, 'x:0']], outputs: [['y', 'DT_INVALID', U, 'y:0']] },
      'tensorflow/serving/regress': { method: 'tensorflow/serving/regress', inputs: [['inputs', 'DT_INVALID', U, 'tf_example:0']], outputs: [['outputs', 'DT_INVALID', U, 'Identity:0']] },
    },
    text: [/0\.12/],
  },
];

async function serveLens(): Promise<ServeLensApi> {
  const ext = vscode.extensions.getExtension<ServeLensApi>(EXTENSION_ID);
  assert.ok(ext, `${EXTENSION_ID} is not installed`);
  return ext.activate();
}

/**
 * Resolves with the first render of `uri` that satisfies `accept`: one already shown, or the next
 * one the inspector reports (subscribed before looking, so none is missed).
 */
function rendered(
  api: ServeLensApi,
  uri: vscode.Uri,
  accept: (s: InspectorSnapshot) => boolean,
  what: string,
  timeoutMs = 15_000,
): Promise<InspectorSnapshot> {
  return new Promise((resolve, reject) => {
    const matches = (s: InspectorSnapshot) => s.uri === uri.toString() && accept(s);
    const timer = setTimeout(() => {
      sub.dispose();
      const seen = api.inspector.snapshots().filter((s) => s.uri === uri.toString()).map((s) => s.snapshot.state);
      const tabs = vscode.window.tabGroups.all.map((g) => `group ${g.viewColumn}${g.isActive ? ' (active)' : ''}: ${g.tabs.map((t) => `${t.label}${t.isActive ? '*' : ''}`).join(', ')}`).join('; ');
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what} (renders seen for it: ${seen.join(', ') || 'none'}; tabs: ${tabs})`));
    }, timeoutMs);
    const sub = api.inspector.onDidRender((s) => {
      if (!matches(s)) return;
      clearTimeout(timer);
      sub.dispose();
      resolve(s);
    });
    const already = api.inspector.snapshots().find(matches);
    if (already) {
      clearTimeout(timer);
      sub.dispose();
      resolve(already);
    }
  });
}

async function closeAll(): Promise<void> {
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
}

describe('SavedModel inspector', function () {
  let api: ServeLensApi;
  const temps: string[] = [];

  before(async () => {
    api = await serveLens();
    // Start from an empty editor area whatever the suites before left open (a results panel).
    await closeAll();
  });
  afterEach(closeAll);
  after(async () => {
    for (const t of temps) await rm(t, { recursive: true, force: true });
  });

  async function tempDir(): Promise<string> {
    const d = await mkdtemp(join(tmpdir(), 'servelens-inspector-'));
    temps.push(d);
    return d;
  }

  for (const fx of FIXTURES) {
    it(`shows the signatures of ${fx.path}/${fx.file}`, async () => {
      const uri = vscode.Uri.file(savedModel(fx.path, fx.file));
      await vscode.commands.executeCommand('vscode.openWith', uri, 'servelens.inspector');
      const { snapshot, viewType } = await rendered(api, uri, (s) => s.snapshot.state !== 'loading', `the inspector of ${fx.path}`);
      assert.equal(viewType, 'servelens.inspector');
      assert.equal(snapshot.state, 'model', `expected the model, got: ${snapshot.error ?? snapshot.text.slice(0, 300)}`);

      const shown = new Map(snapshot.signatures.map((s) => [s.name, s]));
      assert.deepEqual([...shown.keys()].sort(), Object.keys(fx.sigs).sort(), 'signature names');
      for (const [name, want] of Object.entries(fx.sigs)) {
        const got = shown.get(name)!;
        assert.deepEqual(got.tags, ['serve'], `${name}: tag-set`);
        assert.equal(got.method, want.method || '(no method)', `${name}: method`);
        const rows = (ts: typeof got.inputs) => ts.map((t) => [t.alias, t.dtype, t.shape, t.tensor]);
        assert.deepEqual(rows(got.inputs), want.inputs, `${name}: inputs`);
        assert.deepEqual(rows(got.outputs), want.outputs, `${name}: outputs`);
      }
      if (fx.versions.length) {
        assert.match(snapshot.text, new RegExp(`Versions present\\s*${fx.versions.join(', ')}`), 'the versions beside it');
      } else {
        assert.doesNotMatch(snapshot.text, /Versions present/);
      }
      assert.match(snapshot.text, /Schema\s*1/, 'saved_model_schema_version');
      for (const re of fx.text) assert.match(snapshot.text, re);
    });
  }

  it('lists the lint findings with their severity (half_plus_two_pbtxt declares no dtypes)', async () => {
    const uri = vscode.Uri.file(savedModel('half_plus_two_pbtxt/00000123', 'saved_model.pbtxt'));
    await vscode.commands.executeCommand('vscode.openWith', uri, 'servelens.inspector');
    const { snapshot } = await rendered(api, uri, (s) => s.snapshot.state === 'model', 'the pbtxt model');
    assert.ok(
      snapshot.lint.filter((l) => l === 'warning missing-dtype-in-signature').length >= 4,
      `lint shown: ${snapshot.lint.join('; ')}`,
    );
  });

  it('shows the typed error of a truncated saved_model.pb, and the model once the file is whole again', async () => {
    const dir = await tempDir();
    const file = join(dir, 'saved_model.pb');
    const whole = await readFile(savedModel('saved_model_half_plus_two_cpu/00000123', 'saved_model.pb'));
    await writeFile(file, whole.subarray(0, Math.floor(whole.length / 3)));
    const uri = vscode.Uri.file(file);

    await vscode.commands.executeCommand('vscode.openWith', uri, 'servelens.inspector');
    const bad = await rendered(api, uri, (s) => s.snapshot.state !== 'loading', 'the truncated model');
    assert.equal(bad.snapshot.state, 'error');
    assert.match(bad.snapshot.error ?? '', /Cannot read .*saved_model\.pb at byte \d+: expected /, 'message with file and offset');
    assert.match(bad.snapshot.error ?? '', /truncated or corrupt/, 'the hint');
    assert.deepEqual(bad.snapshot.signatures, []);

    // The file changes on disk: the inspector reads it again by itself.
    const fixed = rendered(api, uri, (s) => s.snapshot.state === 'model', 'the re-read after the file was fixed', 20_000);
    await copyFile(savedModel('saved_model_half_plus_two_cpu/00000123', 'saved_model.pb'), file);
    const good = await fixed;
    assert.deepEqual(good.snapshot.signatures.map((s) => s.name).sort(), Object.keys(HP2_TF1).sort());
  });

  it('shows an error for a file that is not a SavedModel at all', async () => {
    const dir = await tempDir();
    const file = join(dir, 'saved_model.pb');
    await writeFile(file, Buffer.from('this is not a protocol buffer, just text\n'));
    const uri = vscode.Uri.file(file);
    await vscode.commands.executeCommand('vscode.openWith', uri, 'servelens.inspector');
    const { snapshot } = await rendered(api, uri, (s) => s.snapshot.state !== 'loading', 'the text file');
    assert.equal(snapshot.state, 'error');
    assert.match(snapshot.error ?? '', /Cannot read/);
  });

  it('opens a TF.js graph model.json with the TF.js inspector (servelens.inspector.tfjs)', async () => {
    const dir = await tempDir();
    const file = join(dir, 'model.json');
    // A tiny converter-style graph: y = MatMul(x, w); the signature is inferred from the Placeholder.
    await writeFile(
      file,
      JSON.stringify({
        format: 'graph-model',
        generatedBy: '2.14.0',
        convertedBy: 'TensorFlow.js Converter v4.11.0',
        modelTopology: {
          node: [
            { name: 'x', op: 'Placeholder', attr: { dtype: { type: 'DT_FLOAT' }, shape: { shape: { dim: [{ size: '-1' }, { size: '3' }] } } } },
            { name: 'w', op: 'Const', attr: { dtype: { type: 'DT_FLOAT' }, value: { tensor: { dtype: 'DT_FLOAT', tensorShape: { dim: [{ size: '3' }, { size: '1' }] } } } } },
            { name: 'y', op: 'MatMul', input: ['x', 'w'], attr: { T: { type: 'DT_FLOAT' } } },
          ],
          versions: { producer: 1482 },
        },
        weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: [{ name: 'w', shape: [3, 1], dtype: 'float32' }] }],
      }),
    );
    await writeFile(join(dir, 'group1-shard1of1.bin'), Buffer.alloc(12));
    const uri = vscode.Uri.file(file);
    await vscode.commands.executeCommand('vscode.openWith', uri, 'servelens.inspector.tfjs');
    const { snapshot, viewType } = await rendered(api, uri, (s) => s.snapshot.state !== 'loading', 'the TF.js model');
    assert.equal(viewType, 'servelens.inspector.tfjs');
    assert.equal(snapshot.state, 'model', snapshot.error);
    const sig = snapshot.signatures.find((s) => s.name === 'serving_default');
    assert.ok(sig, `signatures shown: ${snapshot.signatures.map((s) => s.name).join(', ')}`);
    assert.deepEqual(sig.inputs, [{ alias: 'x', dtype: 'DT_FLOAT', shape: '[-1, 3]', tensor: 'x:0' }]);
    assert.deepEqual(sig.outputs.map((t) => t.alias), ['y']);
    assert.match(snapshot.text, /TF\.js graph model/);
    assert.match(snapshot.text, /TensorFlow\.js Converter v4\.11\.0/);
  });

  it('copies a signature as JSON in the CLI shape (the webview\'s "Copy as JSON" command)', async () => {
    const file = savedModel('saved_model_half_plus_two_cpu/00000123', 'saved_model.pb');
    const text = await vscode.commands.executeCommand<string>('servelens.signature.copyJson', file, 'regress_x2_to_y3', ['serve']);
    assert.deepEqual(JSON.parse(text), {
      name: 'regress_x2_to_y3',
      method: 'tensorflow/serving/regress',
      inputs: [{ alias: 'inputs', dtype: 'DT_FLOAT', shape: [-1, 1], tensor: 'x2:0' }],
      outputs: [{ alias: 'outputs', dtype: 'DT_FLOAT', shape: [-1, 1], tensor: 'y3:0' }],
    });
    await assert.rejects(
      Promise.resolve(vscode.commands.executeCommand('servelens.signature.copyJson', file, 'no_such_signature')),
      /no signature "no_such_signature"/,
    );
  });

  it('opens a new request from a signature (the webview\'s "New request" command)', async () => {
    const file = savedModel('saved_model_half_plus_two_2_versions/00000124', 'saved_model.pb');
    const doc = await vscode.commands.executeCommand<vscode.TextDocument>(
      'servelens.request.newFromSignature',
      file,
      'classify_x2_to_y3',
    );
    assert.equal(doc.uri.scheme, 'untitled');
    assert.match(doc.uri.path, /saved_model_half_plus_two_2_versions\/classify_x2_to_y3(-\d+)?\.request\.json$/);
    assert.deepEqual(JSON.parse(doc.getText()), { signature_name: 'classify_x2_to_y3', instances: [[0]] });
    assert.match(doc.getText(), /\[\[0\.0\]\]/, 'floats written as 0.0');
    assert.equal(vscode.window.activeTextEditor?.document, doc);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });
});
