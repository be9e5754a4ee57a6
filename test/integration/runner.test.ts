// The local runner inside a real editor, on the shared fixture half_plus_two (y = 0.5 x + 2):
// Run Model Locally (worker started on first use, the call recorded in the history and shown),
// the local model server (a real HTTP predict from this test, then stopped), batch prediction over
// a JSON Lines file bound to the local model by samples/.servelens.json, and a Vertex AI batch job
// against the Google API emulator started in this extension host. Files the tests write are removed;
// waits are on the commands' own promises, never on a sleep.
import * as assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { ServeLensApi } from '../../src/extension';
import type { ModelsNode } from '../../src/vscode/models/nodes';
import type { CallRecord } from '../../src/vscode/predict/contract';
import type { BatchOutcome } from '../../src/vscode/runner/batch';
import type { RunningServer } from '../../src/vscode/runner/localServer';
import { startEmulator, type Emulator } from '../emulator/server';
import { FIXTURES, savedModel } from '../helpers/fixtures';
import { answering, picking } from '../helpers/dialogs';
import { rendered } from '../helpers/rendered';

const EXTENSION_ID = 'servelens.servelens';
const HP2 = savedModel('saved_model_half_plus_two_cpu');

function folder(): string {
  const f = vscode.workspace.workspaceFolders?.[0];
  assert.ok(f, 'the sample workspace is open');
  return f.uri.fsPath;
}

const run = <T>(command: string, ...args: unknown[]) => Promise.resolve(vscode.commands.executeCommand<T>(command, ...args));

describe('Local runner in the editor', function () {
  this.timeout(120_000);
  let api: ServeLensApi;
  const cleanup: string[] = [];

  before(async () => {
    const ext = vscode.extensions.getExtension<ServeLensApi>(EXTENSION_ID);
    assert.ok(ext);
    api = await ext.activate();
  });

  after(async () => {
    await run('servelens.localServer.stop').catch(() => undefined);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    for (const f of cleanup) await rm(f, { force: true });
  });

  it('Run Model Locally on half_plus_two: a local call in the history, shown with its predictions', async () => {
    const record = await run<CallRecord>('servelens.model.runLocally', vscode.Uri.file(HP2));
    assert.ok(record, 'the command resolves with the call');
    assert.equal(record.entry.status, 'ok', record.entry.error);
    assert.equal(record.entry.target.kind, 'local');
    assert.equal(record.entry.target.name, HP2);
    assert.equal(record.signature?.name, 'serving_default');
    // The example request holds one instance of zeros: y = 0.5 * 0 + 2.
    assert.deepEqual(JSON.parse(record.request!), { instances: [[0.0]] });
    assert.deepEqual(JSON.parse(record.response!), { predictions: [[2.0]] });
    assert.equal(record.entry.httpStatus, 200);
    assert.ok((record.entry.latencyMs ?? -1) >= 0);

    const [newest] = await api.history.store().list();
    assert.equal(newest?.id, record.entry.id, 'the newest history entry is this call');
    const stored = await api.history.store().get(record.entry.id);
    assert.equal(stored?.response, record.response);

    const shown = api.results.current();
    assert.equal(shown?.entry.id, record.entry.id, 'the results view shows the call');
    await rendered(api.results, record.entry.id);
    assert.ok(Array.isArray((JSON.parse(shown!.response!) as { predictions?: unknown }).predictions));
    // The runner's own entry point answers the signatures from the same worker.
    const sigs = await api.runner.signatures(HP2);
    assert.ok(sigs.some((s) => s.name === 'serving_default'));
  });

  it('Re-run from the History view sends the local call again (the Predict controller)', async () => {
    const tree = api.historyView.treeDataProvider;
    const [node] = (await tree.getChildren()) ?? [];
    assert.ok(node);
    const before = await api.history.store().list();
    assert.equal(before[0]!.target.kind, 'local');
    await run('servelens.history.rerun', node);
    const after = await api.history.store().list();
    assert.equal(after.length, before.length + 1);
    assert.equal(after[0]!.target.name, before[0]!.target.name);
    assert.equal(after[0]!.status, 'ok', after[0]!.error);
    assert.deepEqual(JSON.parse((await api.history.store().get(after[0]!.id))!.response!), { predictions: [[2.0]] });
  });

  it('Run Model Locally from a Models-tree signature node runs that signature of that version', async () => {
    const settings = vscode.workspace.getConfiguration('servelens.models');
    const scanned = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        sub.dispose();
        reject(new Error('timed out waiting for the Models view to find half_plus_two'));
      }, 15_000);
      const sub = api.models.onDidScan((ms) => {
        if (!ms.some((m) => m.dir === HP2)) return;
        clearTimeout(timer);
        sub.dispose();
        resolve();
      });
    });
    await settings.update('additionalFolders', [HP2], vscode.ConfigurationTarget.Global);
    try {
      await scanned;
      const tree = api.models.treeDataProvider;
      const find = async (parent: ModelsNode | undefined, name: string): Promise<ModelsNode> => {
        const kids = (await tree.getChildren(parent)) ?? [];
        const items = await Promise.all(kids.map(async (k) => ({ k, it: await tree.getTreeItem(k) })));
        const hit = items.find(({ it }) => (typeof it.label === 'string' ? it.label : it.label?.label) === name || it.id === name);
        assert.ok(hit, `no "${name}" among ${items.map(({ it }) => String(it.id)).join(', ')}`);
        return hit.k;
      };
      const model = await find(undefined, `model:${HP2}`);
      const signature = await find(await find(await find(model, 'v123'), 'serve'), 'serving_default');
      const record = await run<CallRecord>('servelens.model.runLocally', signature);
      assert.equal(record.entry.status, 'ok', record.entry.error);
      assert.equal(record.entry.target.name, join(HP2, '00000123'), 'the version folder of the node');
      assert.equal(record.signature?.name, 'serving_default');
      assert.deepEqual(JSON.parse(record.response!), { predictions: [[2.0]] });

      // From the palette, with no model in the active editor: the models found are offered.
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      const picked = await picking((items) => items.find((i) => i.label === 'saved_model_half_plus_two_cpu' || i.label === 'half_plus_two_cpu' || i.label === 'serving_default'), () => run<CallRecord>('servelens.model.runLocally'));
      assert.ok(picked.offered.some((l) => l.endsWith('half_plus_two_cpu')), JSON.stringify(picked.offered));
      assert.equal(picked.result.entry.status, 'ok', picked.result.entry.error);
      assert.equal(picked.result.entry.target.name, HP2, 'the base folder (its highest version runs)');
    } finally {
      await settings.update('additionalFolders', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  it('the local server serves half_plus_two over HTTP until stopped', async () => {
    const started = await run<RunningServer>('servelens.localServer.start', vscode.Uri.file(HP2));
    assert.ok(started);
    const server = api.runner.server();
    assert.ok(server, 'server() reports it');
    assert.equal(server.url, started.url);
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await fetch(`${server.url}/v1/models/${server.name}:predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"instances":[1.0,2.0,5.0]}',
    });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { predictions: [2.5, 3.0, 4.5] });

    // Starting another asks to replace it; declining keeps the running one.
    const declined = await answering(undefined, () => run<RunningServer | undefined>('servelens.localServer.start', vscode.Uri.file(HP2)));
    assert.equal(declined.result, undefined);
    assert.match(declined.asked[0] ?? '', /already serves/);
    assert.equal(api.runner.server()?.url, server.url);

    assert.equal(await run<boolean>('servelens.localServer.stop'), true);
    assert.equal(api.runner.server(), undefined);
    await assert.rejects(fetch(`${server.url}/v1/models/${server.name}`), 'the port is closed');
  });

  it('Run Batch Prediction on a JSON Lines file bound to the local model writes one prediction per line beside it', async () => {
    const root = folder();
    const input = join(root, 'requests', `runner-test-${process.pid}.instances.jsonl`);
    const output = join(root, 'requests', `runner-test-${process.pid}.predictions.jsonl`);
    cleanup.push(input, output);
    await writeFile(input, '{"x": [1.0]}\n{"x": [2.0]}\n\n{"key": "k5", "x": [5.0]}\n');
    const outcome = await run<BatchOutcome>('servelens.request.runBatch', vscode.Uri.file(input));
    assert.ok(outcome && outcome.kind === 'local', JSON.stringify(outcome));
    assert.equal(outcome.output, output);
    assert.equal(outcome.instances, 3);
    assert.equal(outcome.errors, 0);
    const lines = (await readFile(output, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(lines, [
      { instance: { x: [1] }, prediction: [2.5] },
      { instance: { x: [2] }, prediction: [3] },
      { key: 'k5', instance: { x: [5] }, prediction: [4.5] },
    ]);
    assert.equal(vscode.window.activeTextEditor?.document.uri.fsPath, output, 'the output is opened');

    // Again: it asks before replacing the output; declining leaves it as it was.
    const again = await answering(undefined, () => run<BatchOutcome | undefined>('servelens.request.runBatch', vscode.Uri.file(input)));
    assert.equal(again.result, undefined);
    assert.match(again.asked[0] ?? '', /exists\. Replace it\?/);
  });

  it('Run Batch Prediction on a file that is not bound says how to bind it', async () => {
    const input = join(folder(), `runner-test-${process.pid}.instances.jsonl`);
    cleanup.push(input);
    await writeFile(input, '[1.0]\n');
    await assert.rejects(run('servelens.request.runBatch', vscode.Uri.file(input)), (e: unknown) => {
      assert.match(String((e as Error).message), /is not bound to a model/);
      return true;
    });
  });

  describe('a JSON Lines file bound to a Vertex AI endpoint (the emulator)', () => {
    let emu: Emulator;
    const saved: Record<string, string | undefined> = {};
    const config = () => vscode.workspace.getConfiguration('servelens');
    const ENDPOINT = 'projects/servelens-demo/locations/us-central1/endpoints/2281564539145093120';
    // The file is bound through "Bind Request File to Target" (which writes .servelens.json); put back after.
    let bindingFile = '';
    let bindingText = '';

    before(async () => {
      emu = await startEmulator({ fixturesDir: FIXTURES });
      const env: Record<string, string> = {
        SERVELENS_API_ENDPOINT: emu.url,
        GCE_METADATA_HOST: `127.0.0.1:${emu.port}`,
        METADATA_SERVER_DETECTION: 'ping-only',
      };
      for (const [k, v] of Object.entries(env)) {
        saved[k] = process.env[k];
        process.env[k] = v;
      }
      await api.cloud.refresh();
      bindingFile = join(folder(), '.servelens.json');
      bindingText = await readFile(bindingFile, 'utf8');
    });

    after(async () => {
      await config().update('batch.gcsOutputPrefix', undefined, vscode.ConfigurationTarget.Global);
      if (bindingText) await writeFile(bindingFile, bindingText);
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      await api.cloud.refresh();
      await emu?.close();
    });

    it('without servelens.batch.gcsOutputPrefix it says to set it; with it, the file is uploaded and a batch job created', async () => {
      const input = join(folder(), `runner-test-vertex-${process.pid}.jsonl`);
      cleanup.push(input);
      await writeFile(input, '[1.0]\n[2.0]\n');
      await run('servelens.request.bindTarget', vscode.Uri.file(input), { endpoint: ENDPOINT });
      await assert.rejects(run('servelens.request.runBatch', vscode.Uri.file(input)), /servelens\.batch\.gcsOutputPrefix is not set/);

      await config().update('batch.gcsOutputPrefix', 'gs://servelens-demo-data/batch', vscode.ConfigurationTarget.Global);
      const outcome = await run<BatchOutcome>('servelens.request.runBatch', vscode.Uri.file(input));
      assert.ok(outcome && outcome.kind === 'vertex', JSON.stringify(outcome));
      assert.match(outcome.job, /^projects\/\d+\/locations\/us-central1\/batchPredictionJobs\/\d+$/);
      assert.match(outcome.inputUri, /^gs:\/\/servelens-demo-data\/batch\/runner-test-vertex-\d+-\d{8}-\d{6}\.jsonl$/);
      assert.equal(outcome.outputPrefix, 'gs://servelens-demo-data/batch');
      assert.match(outcome.model, /\/models\/4471256745123258368@1$/, 'the deployed model with 90% of the traffic');
      const upload = emu.requests().find((r) => r.path === '/upload/storage/v1/b/servelens-demo-data/o');
      assert.ok(upload, 'the file was uploaded');
      assert.equal(new URLSearchParams(upload.query).get('uploadType'), 'media');
      const jobs = emu.requests().filter((r) => r.method === 'POST' && r.path.endsWith('/batchPredictionJobs'));
      assert.equal(jobs.length, 1);
    });
  });
});
