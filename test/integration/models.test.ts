// The Models tree inside a real editor. The fixtures are never copied into the workspace: the
// setting servelens.models.additionalFolders points the view at the shared fixtures folder (and at
// temp folders for the broken, new and non-TF.js cases). Every wait is on an event of the view.
import * as assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import * as vscode from 'vscode';
import type { ServeLensApi } from '../../src/extension';
import type { ModelEntry } from '../../src/vscode/models/layout';
import type { ModelsNode } from '../../src/vscode/models/nodes';
import { SAVEDMODELS, savedModel } from '../helpers/fixtures';

const EXTENSION_ID = 'servelens.servelens';
const FIXTURE_MODELS = [
  'half_plus_two_pbtxt',
  'saved_model_half_plus_three',
  'saved_model_half_plus_two_2_versions',
  'saved_model_half_plus_two_cpu',
  'saved_model_half_plus_two_tf2_cpu',
  'times_three_float',
  'times_two_int',
];

function label(item: vscode.TreeItem): string {
  return typeof item.label === 'string' ? item.label : (item.label?.label ?? '');
}
function inside(dir: string, root: string): boolean {
  return dir === root || dir.startsWith(root + sep);
}

describe('Models view', function () {
  let api: ServeLensApi;
  let tmp: string;
  const settings = () => vscode.workspace.getConfiguration('servelens.models');

  /** The next scan whose models satisfy `accept` (subscribed before the change that causes it). */
  function nextScan(accept: (models: readonly ModelEntry[]) => boolean, what: string, timeoutMs = 15_000) {
    return new Promise<readonly ModelEntry[]>((resolve, reject) => {
      const timer = setTimeout(() => {
        sub.dispose();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for a scan with ${what}; last: ${api.models.models().map((m) => m.dir).join(', ')}`));
      }, timeoutMs);
      const sub = api.models.onDidScan((models) => {
        if (!accept(models)) return;
        clearTimeout(timer);
        sub.dispose();
        resolve(models);
      });
    });
  }

  let scanned: readonly ModelEntry[] = [];

  before(async () => {
    const ext = vscode.extensions.getExtension<ServeLensApi>(EXTENSION_ID);
    assert.ok(ext);
    api = await ext.activate();
    await api.models.whenScanned();
    tmp = await mkdtemp(join(tmpdir(), 'servelens-models-'));
    // A model that cannot be read, a model.json that is not TF.js, and one that is.
    const whole = await readFile(savedModel('saved_model_half_plus_two_cpu/00000123', 'saved_model.pb'));
    await mkdir(join(tmp, 'broken'));
    await writeFile(join(tmp, 'broken', 'saved_model.pb'), whole.subarray(0, 200));
    await mkdir(join(tmp, 'website'));
    await writeFile(join(tmp, 'website', 'model.json'), JSON.stringify({ name: 'a web app model', fields: ['a', 'b'] }));
    await mkdir(join(tmp, 'tfjs_graph'));
    await writeFile(
      join(tmp, 'tfjs_graph', 'model.json'),
      JSON.stringify({ format: 'graph-model', modelTopology: { node: [] }, weightsManifest: [] }),
    );
    // Point the view at the fixtures and the temp folder (never copying fixtures into the workspace).
    const scan = nextScan(
      (ms) => ms.some((m) => inside(m.dir, SAVEDMODELS)) && ms.some((m) => inside(m.dir, tmp)),
      'the fixtures and the temp folder',
    );
    await settings().update('additionalFolders', [SAVEDMODELS, tmp], vscode.ConfigurationTarget.Global);
    scanned = await scan;
  });

  after(async () => {
    for (const key of ['additionalFolders', 'exclude', 'maxResults']) {
      await settings().update(key, undefined, vscode.ConfigurationTarget.Global);
    }
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  async function children(node?: ModelsNode): Promise<ModelsNode[]> {
    return (await api.models.treeDataProvider.getChildren(node)) ?? [];
  }
  async function item(node: ModelsNode): Promise<vscode.TreeItem> {
    return api.models.treeDataProvider.getTreeItem(node);
  }
  async function childItems(node?: ModelsNode): Promise<[ModelsNode, vscode.TreeItem][]> {
    const out: [ModelsNode, vscode.TreeItem][] = [];
    for (const c of await children(node)) out.push([c, await item(c)]);
    return out;
  }
  async function root(dir: string): Promise<[ModelsNode, vscode.TreeItem]> {
    const found = (await childItems()).find(([, it]) => it.id === `model:${dir}`);
    assert.ok(found, `no model node for ${dir}`);
    return found;
  }
  async function child(node: ModelsNode, name: string): Promise<[ModelsNode, vscode.TreeItem]> {
    const all = await childItems(node);
    const found = all.find(([, it]) => label(it) === name);
    assert.ok(found, `no child "${name}" (children: ${all.map(([, it]) => label(it)).join(', ')})`);
    return found;
  }

  it('finds the fixture models in an additional folder: one node per TF Serving base directory', async () => {
    const fixtures = scanned.filter((m) => inside(m.dir, SAVEDMODELS));
    assert.deepEqual(fixtures.map((m) => m.label).sort(), FIXTURE_MODELS);
    const two = fixtures.find((m) => m.label === 'saved_model_half_plus_two_2_versions')!;
    assert.equal(two.versioned, true);
    assert.deepEqual(two.versions.map((v) => v.name), ['00000123', '00000124']);
    assert.equal(fixtures.find((m) => m.label === 'times_three_float')!.versioned, false);

    const roots = await childItems();
    for (const name of FIXTURE_MODELS) {
      const found = roots.find(([, it]) => label(it) === name && it.id?.startsWith(`model:${SAVEDMODELS}`));
      assert.ok(found, `root node ${name}`);
      assert.equal(found[1].contextValue, 'servelens.model');
    }
  });

  it('skips a model.json that is not a TF.js model, and lists one that is', () => {
    const dirs = api.models.models().map((m) => m.dir);
    assert.ok(dirs.includes(join(tmp, 'tfjs_graph')), 'the TF.js model.json is listed');
    assert.ok(!dirs.includes(join(tmp, 'website')), 'the web app model.json is not');
  });

  it('shows model → version → tag-set → signature → inputs/outputs', async () => {
    const [model, modelItem] = await root(savedModel('saved_model_half_plus_two_2_versions'));
    assert.match(String(modelItem.description), /2 versions/);
    const versions = await childItems(model);
    assert.deepEqual(versions.map(([, it]) => label(it)), ['v124', 'v123'], 'newest first');
    assert.deepEqual(versions.map(([, it]) => it.contextValue), ['servelens.model.version', 'servelens.model.version']);
    assert.match(String(versions[0]![1].description), /served/);

    const [tagSet, tagItem] = await child(versions[0]![0], 'serve');
    assert.equal(tagItem.contextValue, 'servelens.tagSet');
    const sigs = await childItems(tagSet);
    assert.equal(label(sigs[0]![1]), 'serving_default', 'serving_default first');
    assert.deepEqual(
      sigs.map(([, it]) => label(it)).sort(),
      ['classify_x2_to_y3', 'classify_x_to_y', 'regress_x2_to_y3', 'regress_x_to_y', 'regress_x_to_y2', 'serving_default'],
    );
    assert.ok(sigs.every(([, it]) => it.contextValue === 'servelens.signature'));
    assert.equal(sigs.find(([, it]) => label(it) === 'classify_x_to_y')![1].description, 'classify');

    const tensors = await childItems(sigs[0]![0]);
    assert.deepEqual(
      tensors.map(([, it]) => [label(it), it.description, it.contextValue]),
      [
        ['x:', 'DT_FLOAT [-1, 1]', 'servelens.tensor.input'],
        ['y:', 'DT_FLOAT [-1, 1]', 'servelens.tensor.output'],
      ],
    );
  });

  it('shows a model folder without versions directly as its tag-sets; TensorFlow\'s own signatures are marked internal', async () => {
    const [model] = await root(savedModel('times_three_float'));
    const [tagSet] = await child(model, 'serve');
    const sigs = await childItems(tagSet);
    assert.deepEqual(
      sigs.map(([, it]) => [label(it), it.contextValue]),
      [
        ['serving_default', 'servelens.signature'],
        ['__saved_model_init_op', 'servelens.signature.internal'],
      ],
    );
    const [, x] = await child(sigs[0]![0], 'x:');
    assert.equal(x.description, 'DT_FLOAT []');
  });

  it('decorates lint problems: the warning count on the model, a Problems node with each finding', async () => {
    const dir = savedModel('half_plus_two_pbtxt');
    const decorated = async () => /4 warnings/.test(String((await root(dir))[1].description));
    if (!(await decorated())) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          sub.dispose();
          reject(new Error('the model node was never decorated with its warnings'));
        }, 15_000);
        const sub = api.models.treeDataProvider.onDidChangeTreeData!(async () => {
          if (!(await decorated())) return;
          clearTimeout(timer);
          sub.dispose();
          resolve();
        });
      });
    }
    const [model, modelItem] = await root(dir);
    assert.equal((modelItem.iconPath as vscode.ThemeIcon).id, 'warning');
    const [version] = await child(model, 'v123');
    const [problems, problemsItem] = await child(version, 'Problems');
    assert.equal(problemsItem.contextValue, 'servelens.problems');
    assert.equal(problemsItem.description, '4 warnings');
    const findings = await childItems(problems);
    assert.equal(findings.length, 4);
    assert.ok(findings.every(([, it]) => it.contextValue === 'servelens.problem' && /missing-dtype-in-signature/.test(String(it.description))));
    // The signature and the alias concerned carry the warning too.
    const [tagSet] = await child(version, 'serve');
    const [sig, sigItem] = await child(tagSet, 'serving_default');
    assert.match(String(sigItem.description), /2 warnings/);
    const [, x] = await child(sig, 'x:');
    assert.equal((x.iconPath as vscode.ThemeIcon).id, 'warning');
  });

  it('shows an error node with the message when a model cannot be read', async () => {
    const [model] = await root(join(tmp, 'broken'));
    const kids = await childItems(model);
    assert.equal(kids.length, 1);
    assert.equal(kids[0]![1].contextValue, 'servelens.error');
    assert.match(label(kids[0]![1]), /Cannot read .*saved_model\.pb at byte \d+/);
  });

  it('runs its context actions on tree nodes: inspect a version, copy a signature, new request', async () => {
    const [model] = await root(savedModel('saved_model_half_plus_two_cpu'));
    const [version] = await child(model, 'v123');
    const uri = vscode.Uri.file(savedModel('saved_model_half_plus_two_cpu/00000123', 'saved_model.pb'));
    const shown = new Promise<void>((resolve) => {
      const sub = api.inspector.onDidRender((s) => {
        if (s.uri !== uri.toString() || s.snapshot.state !== 'model') return;
        sub.dispose();
        resolve();
      });
    });
    await vscode.commands.executeCommand('servelens.model.inspect', version);
    await shown;

    const [tagSet] = await child(version, 'serve');
    const [sig] = await child(tagSet, 'regress_x_to_y');
    const json = JSON.parse(await vscode.commands.executeCommand<string>('servelens.signature.copyJson', sig));
    assert.deepEqual(json.inputs, [{ alias: 'inputs', dtype: 'DT_STRING', shape: null, tensor: 'tf_example:0' }]);

    const doc = await vscode.commands.executeCommand<vscode.TextDocument>('servelens.request.newFromSignature', sig);
    assert.deepEqual(JSON.parse(doc.getText()), { signature_name: 'regress_x_to_y', instances: [''] });
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  it('keeps current: a model that appears or disappears on disk', async () => {
    const fresh = join(tmp, 'fresh_model', '00000007');
    const appeared = nextScan((ms) => ms.some((m) => m.dir === join(tmp, 'fresh_model')), 'the new model');
    await mkdir(fresh, { recursive: true });
    await copyFile(savedModel('times_two_int', 'saved_model.pb'), join(fresh, 'saved_model.pb'));
    const models = await appeared;
    assert.deepEqual(models.find((m) => m.dir === join(tmp, 'fresh_model'))!.versions.map((v) => v.name), ['00000007']);

    const gone = nextScan((ms) => !ms.some((m) => m.dir === join(tmp, 'fresh_model')), 'the model removed');
    await rm(join(tmp, 'fresh_model'), { recursive: true, force: true });
    await gone;
  });

  it('honours servelens.models.exclude and maxResults', async () => {
    const three = savedModel('saved_model_half_plus_three');
    const excluded = nextScan((ms) => !ms.some((m) => m.dir === three) && ms.some((m) => inside(m.dir, SAVEDMODELS)), 'half_plus_three excluded');
    await settings().update('exclude', ['**/saved_model_half_plus_three/**'], vscode.ConfigurationTarget.Global);
    await excluded;

    const limited = nextScan(
      (ms) => ms.filter((m) => inside(m.dir, SAVEDMODELS)).reduce((n, m) => n + m.versions.length, 0) === 2,
      'two fixture files at most',
    );
    await settings().update('maxResults', 2, vscode.ConfigurationTarget.Global);
    await limited;

    const back = nextScan((ms) => ms.filter((m) => inside(m.dir, SAVEDMODELS)).length === FIXTURE_MODELS.length, 'all fixtures again');
    await settings().update('exclude', undefined, vscode.ConfigurationTarget.Global);
    await settings().update('maxResults', undefined, vscode.ConfigurationTarget.Global);
    await back;
  });
});
