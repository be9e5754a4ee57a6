// The deployment trees inside a real editor, against the Google API emulator started in this
// extension host on 127.0.0.1 with the sample state (projects servelens-demo, region us-central1,
// the fixture SavedModels behind gs://servelens-fixtures). The extension signs in through
// Application Default Credentials, which take their token from the emulator's metadata server
// (GCE_METADATA_HOST), exactly as on a Google Cloud VM. Trees are read through their providers,
// as the view would; every wait is on the provider's own loading, never a sleep.
import * as assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { FIXTURES } from '../helpers/fixtures';
import { startEmulator, type Emulator } from '../emulator/server';

const EXTENSION_ID = 'servelens.servelens';
const PROJECT = 'servelens-demo';
const EMULATOR_TOKEN = 'ya29.servelens-emulator-token';

/** The parts of a tree node the tests read (the extension's CloudNode; its module is bundled apart). */
interface Node {
  readonly id: string;
  readonly contextValue: string;
  readonly parent: Node | undefined;
  readonly hint?: string;
  readonly message?: string;
}
interface Provider {
  getChildren(node?: Node): Promise<Node[]>;
  getTreeItem(node: Node): vscode.TreeItem;
  settled(): Promise<void>;
}
interface CloudApi {
  readonly providers: { vertex: Provider; aiplatform: Provider; tfserving: Provider };
  refresh(): Promise<void>;
}

const label = (p: Provider, n: Node): string => {
  const l = p.getTreeItem(n).label;
  return typeof l === 'string' ? l : (l?.label ?? '');
};
const description = (p: Provider, n: Node): string => String(p.getTreeItem(n).description ?? '');

async function child(p: Provider, parent: Node | undefined, name: string): Promise<Node> {
  const kids = await p.getChildren(parent);
  const found = kids.find((k) => label(p, k) === name);
  assert.ok(found, `no "${name}" under ${parent?.id ?? 'the root'}; found: ${kids.map((k) => `${label(p, k)} [${k.contextValue}]`).join(', ')}`);
  return found;
}

async function path(p: Provider, ...names: string[]): Promise<Node> {
  let node: Node | undefined;
  for (const n of names) node = await child(p, node, n);
  return node!;
}

describe('Cloud views (Vertex AI, AI Platform, TF Serving) against the emulator', function () {
  this.timeout(60_000);
  let emu: Emulator;
  let cloud: CloudApi;
  const saved: Record<string, string | undefined> = {};

  before(async () => {
    emu = await startEmulator({ fixturesDir: FIXTURES });
    // Batch jobs stay in their seeded state for the whole suite.
    emu.state.timing = { ...emu.state.timing, jobStepMs: 3_600_000 };
    const env: Record<string, string> = {
      SERVELENS_API_ENDPOINT: emu.url,
      GCE_METADATA_HOST: `127.0.0.1:${emu.port}`,
      // The runner turns metadata-server detection off; here it pings the emulator only.
      METADATA_SERVER_DETECTION: 'ping-only',
      SERVELENS_TF_SERVING_SERVERS: JSON.stringify([
        { name: 'emulated TF Serving', url: emu.url, models: ['half_plus_two', 'half_plus_two_2_versions'] },
        { name: 'broken', url: `${emu.url}/tfs-broken`, models: ['half_plus_two'] },
      ]),
    };
    for (const [k, v] of Object.entries(env)) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
    const ext = vscode.extensions.getExtension<{ cloud: CloudApi }>(EXTENSION_ID);
    assert.ok(ext);
    cloud = (await ext.activate()).cloud;
    await cloud.refresh();
  });

  after(async () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await cloud?.refresh();
    await emu?.close();
  });

  it('signs in with ADC through the metadata server and lists the project of the credentials', async () => {
    const roots = await cloud.providers.vertex.getChildren();
    assert.deepEqual(roots.map((r) => label(cloud.providers.vertex, r)), [PROJECT]);
    assert.ok(emu.tokenRequests > 0 || emu.requests().some((r) => r.path.includes('/computeMetadata/')), 'the metadata server was asked for a token');
    // Every Vertex call carried the metadata server's token.
    await path(cloud.providers.vertex, PROJECT, 'us-central1', 'Endpoints').then((n) => cloud.providers.vertex.getChildren(n));
    const vertexCalls = emu.requests().filter((r) => r.path.includes('/endpoints'));
    assert.ok(vertexCalls.length > 0);
  });

  it('shows endpoints with their traffic split, and deployed models with machine, replicas and version', async () => {
    const p = cloud.providers.vertex;
    const endpoints = await p.getChildren(await path(p, PROJECT, 'us-central1', 'Endpoints'));
    const names = endpoints.map((e) => label(p, e));
    assert.deepEqual(names.sort(), ['empty-endpoint', 'half-plus-two-prod', 'half-plus-three-staging'].sort());
    const prod = endpoints.find((e) => label(p, e) === 'half-plus-two-prod')!;
    assert.equal(prod.contextValue, 'servelens.cloud.endpoint');
    assert.match(description(p, prod), /\d+%.*·.*\d+%/, `traffic split shown: ${description(p, prod)}`);
    const deployed = await p.getChildren(prod);
    assert.equal(deployed.length, 2);
    for (const d of deployed) {
      assert.equal(d.contextValue, 'servelens.cloud.deployedModel');
      assert.match(description(p, d), /^\d+% · v\d+/, `deployed model facts: ${description(p, d)}`);
    }
    const empty = endpoints.find((e) => label(p, e) === 'empty-endpoint')!;
    assert.equal(description(p, empty), 'no deployed models');
  });

  it('reads the signatures of a deployed model from its artifact in Cloud Storage', async () => {
    const p = cloud.providers.vertex;
    const prod = await path(p, PROJECT, 'us-central1', 'Endpoints', 'half-plus-two-prod');
    const [first] = await p.getChildren(prod);
    const sigs = await p.getChildren(first);
    const sigNames = sigs.map((s) => label(p, s));
    assert.ok(sigNames.includes('serving_default'), `signatures: ${sigNames.join(', ')}`);
    assert.ok(!sigNames.some((n) => n.startsWith('__saved_model_')), 'TensorFlow’s own signatures are left out');
    const serving = sigs.find((s) => label(p, s) === 'serving_default')!;
    const tensors = await p.getChildren(serving);
    const x = tensors.find((t) => label(p, t) === 'x');
    assert.ok(x, 'input x listed');
    assert.equal(description(p, x), 'DT_FLOAT [-1, 1]');
    assert.ok(emu.requests().some((r) => r.path.startsWith('/storage/v1/b/servelens-fixtures/') || r.path.startsWith('/download/storage/')), 'the artifact was read from Cloud Storage');
  });

  it('lists Model Registry models → versions with aliases and the default marked', async () => {
    const p = cloud.providers.vertex;
    const model = await path(p, PROJECT, 'us-central1', 'Models', 'half_plus_two');
    assert.equal(model.contextValue, 'servelens.cloud.model');
    const versions = await p.getChildren(model);
    const shown = versions.map((v) => `${label(p, v)}: ${description(p, v)}`);
    assert.deepEqual(shown, ['version 1: default @default @stable', 'version 2: @canary']);
  });

  it('lists batch prediction jobs with their state', async () => {
    const p = cloud.providers.vertex;
    const jobs = await p.getChildren(await path(p, PROJECT, 'us-central1', 'Batch jobs'));
    const states = Object.fromEntries(jobs.map((j) => [label(p, j), description(p, j).split(' · ')[0]]));
    assert.equal(states['nightly-scoring'], 'succeeded');
    assert.equal(states['bad-input-scoring'], 'failed');
    assert.equal(states['weekly-backfill'], 'running');
    const failed = jobs.find((j) => label(p, j) === 'bad-input-scoring')!;
    assert.match(String(p.getTreeItem(failed).tooltip), /Error: /);
  });

  it('lists AI Platform models and versions, the default version marked', async () => {
    const p = cloud.providers.aiplatform;
    const model = await path(p, PROJECT, 'half_plus_two');
    assert.match(description(p, model), /^default v1$/);
    const versions = await p.getChildren(model);
    const v1 = versions.find((v) => label(p, v) === 'v1');
    assert.ok(v1);
    assert.match(description(p, v1), /^default · /);
    assert.match(description(p, v1), /runtime \d/);
    const sigs = await p.getChildren(v1);
    assert.ok(sigs.some((s) => label(p, s) === 'serving_default'), 'signatures from deploymentUri');
  });

  it('shows TF Serving models → versions → signatures, and a version that failed to load', async () => {
    const p = cloud.providers.tfserving;
    const versions = await p.getChildren(await path(p, 'emulated TF Serving', 'half_plus_two_2_versions'));
    assert.deepEqual(versions.map((v) => label(p, v)), ['version 124', 'version 123']);
    const sigs = await p.getChildren(versions[0]);
    assert.ok(sigs.some((s) => label(p, s) === 'serving_default'));
    const broken = await p.getChildren(await path(p, 'broken', 'half_plus_two'));
    assert.equal(broken.length, 1);
    assert.match(description(p, broken[0]!), /^end · Failed to load servable/);
  });

  it('pages long lists with "Load more…"', async () => {
    const p = cloud.providers.vertex;
    const state = emu.state.projects[PROJECT]!.locations!['us-central1']!;
    const before = state.endpoints?.length ?? 0;
    const template = state.endpoints![0]!;
    // 60 more endpoints: more than one page of 50.
    for (let i = 0; i < 60; i++) state.endpoints!.push({ ...template, id: String(9_000_000_000 + i), displayName: `bulk-${i}`, deployedModels: [] });
    try {
      const group = await path(p, PROJECT, 'us-central1', 'Endpoints');
      await vscode.commands.executeCommand('servelens.cloud.refresh', group);
      const first = await p.getChildren(group);
      assert.equal(first.length, 51, 'one page of 50 and the "Load more…" node');
      const more = first.at(-1)!;
      assert.equal(more.contextValue, 'servelens.cloud.loadMore');
      await vscode.commands.executeCommand('servelens.cloud.loadMore', more);
      const all = await p.getChildren(group);
      assert.equal(all.length, before + 60);
      assert.ok(all.every((n) => n.contextValue === 'servelens.cloud.endpoint'));
    } finally {
      state.endpoints!.splice(before);
    }
  });

  it('shows an injected 403 as an error node with the IAM hint, and retries once access is back', async () => {
    const p = cloud.providers.vertex;
    emu.setAccess(PROJECT, 'PERMISSION_DENIED');
    try {
      const group = await path(p, PROJECT, 'us-central1', 'Endpoints');
      await vscode.commands.executeCommand('servelens.cloud.refresh', group);
      const kids = await p.getChildren(group);
      assert.equal(kids.length, 1);
      const err = kids[0]!;
      assert.equal(err.contextValue, 'servelens.cloud.error');
      assert.match(err.message ?? '', /permission|denied/i);
      assert.match(err.hint ?? '', /Vertex AI User|roles\/aiplatform\.user/);
      assert.ok(!JSON.stringify(p.getTreeItem(err)).includes(EMULATOR_TOKEN), 'the token is not in the error node');
      emu.setAccess(PROJECT, null);
      await vscode.commands.executeCommand('servelens.cloud.retry', err);
      const again = await p.getChildren(group);
      assert.ok(again.length >= 3 && again.every((n) => n.contextValue === 'servelens.cloud.endpoint'), 'the endpoints are back after "Try again"');
    } finally {
      emu.setAccess(PROJECT, null);
    }
  });

  it('copies a resource name, and opens a new request for a model version built from its signature', async () => {
    const p = cloud.providers.vertex;
    const prod = await path(p, PROJECT, 'us-central1', 'Endpoints', 'half-plus-two-prod');
    const name = await vscode.commands.executeCommand<string>('servelens.cloud.copyResourceName', prod);
    assert.match(name, /^projects\/\d+\/locations\/us-central1\/endpoints\/\d+$/);
    assert.equal(await vscode.env.clipboard.readText(), name);

    const version = (await p.getChildren(await path(p, PROJECT, 'us-central1', 'Models', 'half_plus_two')))[0]!;
    const doc = await vscode.commands.executeCommand<vscode.TextDocument>('servelens.cloud.newRequest', version, 'serving_default');
    assert.ok(doc.uri.path.endsWith('.request.json'), doc.uri.toString());
    const body = JSON.parse(doc.getText());
    assert.ok(Array.isArray(body.instances) && body.instances.length > 0, doc.getText());
    // serving_default takes x: float [-1, 1], so each instance is a list of one number.
    assert.ok(body.instances.every((i: unknown) => Array.isArray(i) ? typeof i[0] === 'number' : typeof i === 'number' || typeof (i as { x?: unknown }).x !== 'undefined'), doc.getText());
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  it('binds the current request file to an endpoint through .servelens.json', async () => {
    const root = vscode.workspace.workspaceFolders![0]!.uri.fsPath;
    const bindingFile = join(root, '.servelens.json');
    const original = await readFile(bindingFile, 'utf8');
    const file = join(root, 'requests', 'cloud-bind-test.request.json');
    await writeFile(file, '{"instances": [1.0]}\n');
    try {
      await vscode.window.showTextDocument(vscode.Uri.file(file));
      const p = cloud.providers.vertex;
      const prod = await path(p, PROJECT, 'us-central1', 'Endpoints', 'half-plus-two-prod');
      await vscode.commands.executeCommand('servelens.cloud.bindRequest', prod);
      const written = JSON.parse(await readFile(bindingFile, 'utf8'));
      const entry = written.bindings.find((b: { files: string }) => b.files === 'requests/cloud-bind-test.request.json');
      assert.ok(entry, JSON.stringify(written));
      assert.match(entry.target.endpoint, /^projects\/\d+\/locations\/us-central1\/endpoints\/\d+$/);
    } finally {
      await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
      await writeFile(bindingFile, original);
      await rm(file, { force: true });
    }
  });
});
