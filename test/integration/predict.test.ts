// Predict and Explain from request files inside a real editor. The Google API emulator runs in
// this extension host on 127.0.0.1 with the local runner behind its prediction routes, so the
// numbers are real: samples/cloud/** is bound (samples/.servelens.json) to the emulator's
// half-plus-two-prod endpoint (90% half_plus_two v1, 10% v2: both y = 0.5x + 2), samples/requests/**
// to the fixture SavedModel run locally. The commands are the ones the CodeLenses run; what the
// results view shows is read back from its rendered snapshot. Every wait is on an event or the
// command's own promise, never a sleep.
import * as assert from 'node:assert/strict';
import { readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { createLocalPredictor } from '../../src/core/runner';
import { startEmulator, type Emulator } from '../emulator/server';
import { FIXTURES } from '../helpers/fixtures';
import { answering, picking } from '../helpers/dialogs';
import { rendered, type RenderedSource } from '../helpers/rendered';

const EXTENSION_ID = 'servelens.servelens';
const ENDPOINT = 'projects/servelens-demo/locations/us-central1/endpoints/2281564539145093120';
const STABLE = '6025781412435673088';

interface HistoryEntry {
  id: string;
  op: string;
  status: 'ok' | 'error';
  file?: string;
  target: { kind: string; name: string; label: string };
  httpStatus?: number;
  error?: string;
}
interface CallRecord {
  entry: HistoryEntry;
  request?: string;
  response?: string;
  diagnosis?: { code: string; summary: string; nextSteps: string[]; expected?: string[]; httpStatus?: number };
  commands?: { curl?: string; gcloud?: string; cli?: string };
}
interface Api {
  logUri: vscode.Uri;
  cloud: { refresh(): Promise<void> };
  history: { store(): { list(): Promise<HistoryEntry[]> }; clear(): Promise<void> };
  results: RenderedSource & { current(): CallRecord | undefined; isOpen(): boolean };
}

function root(): string {
  const f = vscode.workspace.workspaceFolders?.[0];
  assert.ok(f, 'the sample workspace is open');
  return f.uri.fsPath;
}

/** The CodeLenses of a file, resolved as the editor shows them (VS Code asks only for an open document's). */
async function codeLenses(uri: vscode.Uri): Promise<vscode.CodeLens[]> {
  await vscode.workspace.openTextDocument(uri);
  return vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri, 100);
}

const codeOf = (d: vscode.Diagnostic): string => (typeof d.code === 'object' ? String(d.code.value) : String(d.code));

/** ServeLens's diagnostics of `uri` once `accept` holds: now, or at a later change of them. */
function diagnosticsWhere(uri: vscode.Uri, accept: (ds: vscode.Diagnostic[]) => boolean, what: string, timeoutMs = 20_000): Promise<vscode.Diagnostic[]> {
  const ours = () => vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'ServeLens');
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`timed out waiting for ${what}; diagnostics now: ${JSON.stringify(ours().map((d) => [codeOf(d), d.message]))}`));
    }, timeoutMs);
    const check = () => {
      const ds = ours();
      if (!accept(ds)) return;
      clearTimeout(timer);
      sub.dispose();
      resolve(ds);
    };
    const sub = vscode.languages.onDidChangeDiagnostics((e) => {
      if (e.uris.some((u) => u.toString() === uri.toString())) check();
    });
    check();
  });
}

/**
 * Replaces window.createQuickPick while `body` runs with a picker that, once its listing is done
 * (not busy), records the items offered and accepts the one `choose` names (or hides).
 */
async function choosingTarget<T>(choose: (items: readonly vscode.QuickPickItem[]) => vscode.QuickPickItem | undefined, body: () => Thenable<T>): Promise<{ result: T; offered: vscode.QuickPickItem[] }> {
  const window = vscode.window as unknown as { createQuickPick: () => unknown };
  const original = window.createQuickPick;
  let offered: vscode.QuickPickItem[] = [];
  window.createQuickPick = () => {
    const accept = new vscode.EventEmitter<void>();
    const hide = new vscode.EventEmitter<void>();
    let items: vscode.QuickPickItem[] = [];
    let busy = false;
    let shown = false;
    let settled = false;
    const qp = {
      title: '', placeholder: '', matchOnDescription: false, matchOnDetail: false,
      activeItems: [] as vscode.QuickPickItem[], selectedItems: [] as vscode.QuickPickItem[],
      get items() { return items; },
      set items(v: vscode.QuickPickItem[]) { items = v; check(); },
      get busy() { return busy; },
      set busy(v: boolean) { busy = v; check(); },
      onDidAccept: accept.event,
      onDidHide: hide.event,
      show() { shown = true; check(); },
      dispose() { accept.dispose(); hide.dispose(); },
    };
    function check(): void {
      if (settled || !shown || busy) return;
      settled = true;
      offered = items;
      const c = choose(items);
      setTimeout(() => {
        if (c) {
          qp.selectedItems = [c];
          accept.fire();
        } else hide.fire();
      }, 0);
    }
    return qp;
  };
  try {
    return { result: await body(), offered };
  } finally {
    window.createQuickPick = original;
  }
}

function predictions(record: CallRecord | undefined): unknown {
  assert.ok(record?.response, `a response body: ${JSON.stringify(record)}`);
  return (JSON.parse(record.response) as { predictions?: unknown }).predictions;
}

describe('Predict and Explain from request files', function () {
  this.timeout(90_000);
  let emu: Emulator;
  let api: Api;
  let predictor: ReturnType<typeof createLocalPredictor>;
  const saved: Record<string, string | undefined> = {};
  let bindingFile: string;
  let bindingText: string;
  const cleanup: string[] = [];

  before(async () => {
    predictor = createLocalPredictor();
    emu = await startEmulator({ fixturesDir: FIXTURES, predictor });
    const env: Record<string, string> = {
      SERVELENS_API_ENDPOINT: emu.url,
      GCE_METADATA_HOST: `127.0.0.1:${emu.port}`,
      METADATA_SERVER_DETECTION: 'ping-only',
      SERVELENS_TF_SERVING_SERVERS: JSON.stringify([{ name: 'emulated TF Serving', url: emu.url, models: ['half_plus_two'] }]),
    };
    for (const [k, v] of Object.entries(env)) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
    const ext = vscode.extensions.getExtension<Api>(EXTENSION_ID);
    assert.ok(ext);
    api = await ext.activate();
    await api.cloud.refresh();
    await api.history.clear();
    bindingFile = join(root(), '.servelens.json');
    bindingText = await readFile(bindingFile, 'utf8');
  });

  after(async () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    if (bindingText !== undefined) await writeFile(bindingFile, bindingText);
    for (const f of cleanup) await rm(f, { force: true });
    await api?.cloud.refresh();
    await emu?.close();
    await predictor?.close();
  });

  afterEach(async () => {
    emu.faults.clear();
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    // The results panel's close reaches the extension host a moment later: wait for it, so the
    // next call opens a new panel instead of revealing the one being closed.
    const deadline = Date.now() + 5_000;
    while (api.results.isOpen() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  });

  it('puts Predict, Explain, the target and (for a local model) Predict locally above a request file', async () => {
    const uri = vscode.Uri.file(join(root(), 'cloud', 'half_plus_two.request.json'));
    const lenses = await codeLenses(uri);
    const titles = lenses.map((l) => l.command?.title ?? '');
    assert.ok(titles.includes('▶ Predict'), JSON.stringify(titles));
    assert.ok(titles.includes('Explain'), JSON.stringify(titles));
    assert.ok(titles.some((t) => /^Target: endpoint 2281564539145093120 ▾$/.test(t)), JSON.stringify(titles));
    assert.ok(lenses.every((l) => l.range.start.line === 0), 'all at the top of the file');
    const predict = lenses.find((l) => l.command?.title === '▶ Predict')!;
    assert.equal(predict.command!.command, 'servelens.request.predict');
    assert.equal((predict.command!.arguments![0] as vscode.Uri).fsPath, uri.fsPath);

    const local = vscode.Uri.file(join(root(), 'requests', 'half_plus_two.request.json'));
    const localTitles = (await codeLenses(local)).map((l) => l.command?.title);
    assert.ok(localTitles.includes('Predict locally'), JSON.stringify(localTitles));
    assert.ok(localTitles.includes('Target: half_plus_two_cpu ▾'), JSON.stringify(localTitles));

    const jsonl = vscode.Uri.file(join(root(), 'requests', 'half_plus_two.instances.jsonl'));
    const jsonlLenses = await codeLenses(jsonl);
    const perLine = jsonlLenses.filter((l) => l.command?.title === 'Predict this line');
    const doc = await vscode.workspace.openTextDocument(jsonl);
    const nonEmpty = Array.from({ length: doc.lineCount }, (_, i) => doc.lineAt(i)).filter((l) => !l.isEmptyOrWhitespace).length;
    assert.equal(perLine.length, nonEmpty, 'one "Predict this line" per instance line');
    assert.ok(jsonlLenses.some((l) => l.command?.title === 'Run batch'));
  });

  it('checks a file bound to the endpoint against the signature read from the model’s artifact, as you type', async () => {
    const uri = vscode.Uri.file(join(root(), 'cloud', 'wrong-signature.request.json'));
    await vscode.workspace.openTextDocument(uri);
    const found = await diagnosticsWhere(uri, (ds) => ds.some((d) => codeOf(d) === 'unknown-signature'), 'unknown-signature on a cloud-bound file');
    const d = found.find((x) => codeOf(x) === 'unknown-signature')!;
    assert.equal(d.severity, vscode.DiagnosticSeverity.Error);
    assert.match(d.message, /serving_default/, d.message);
    assert.ok(!found.some((x) => codeOf(x) === 'structural-only'), 'not structure only: the signature was read');
  });

  it('▶ Predict sends the file to the bound Vertex AI endpoint and shows [2.5, 3.0, 4.5]', async () => {
    const uri = vscode.Uri.file(join(root(), 'cloud', 'half_plus_two.request.json'));
    const record = await vscode.commands.executeCommand<CallRecord>('servelens.request.predict', uri);
    assert.deepEqual(predictions(record), [2.5, 3.0, 4.5]);
    assert.equal(record.entry.status, 'ok');
    assert.equal(record.entry.target.kind, 'vertex');
    assert.equal(record.entry.file, uri.fsPath);
    assert.match(String(JSON.parse(record.response!).deployedModelId), /^\d+$/);
    // The results view shows that call: a row per instance with its prediction.
    assert.equal(api.results.current()?.entry.id, record.entry.id);
    const shown = await rendered(api.results, record.entry.id);
    assert.equal(shown.state, 'ok');
    assert.deepEqual(shown.columns, ['#', 'Instance', 'y'], JSON.stringify(shown));
    assert.deepEqual(shown.rows.map((r) => Number(r.at(-1))), [2.5, 3.0, 4.5], JSON.stringify(shown));
    assert.ok(shown.actions.includes('Copy as curl') && shown.actions.includes('Re-run'), JSON.stringify(shown.actions));
    assert.match(record.commands?.curl ?? '', /:predict'?$/);
    assert.ok(!JSON.stringify(record).includes('ya29.'), 'no token in what the results view gets');
    const predicts = emu.requests().filter((r) => r.path.endsWith(':predict'));
    assert.ok(predicts.length >= 1 && predicts.every((r) => r.authorization), 'sent with the metadata server’s token');
  });

  it('a wrong signature_name is sent anyway on request and explained: the 400 names the signatures the model has', async () => {
    const uri = vscode.Uri.file(join(root(), 'cloud', 'wrong-signature.request.json'));
    const record = await vscode.commands.executeCommand<CallRecord>('servelens.request.predict', uri, { sendAnyway: true });
    assert.equal(record.entry.status, 'error');
    assert.equal(record.entry.httpStatus, 400);
    assert.equal(record.diagnosis?.code, 'signature-not-found', JSON.stringify(record.diagnosis));
    assert.ok(record.diagnosis?.expected?.includes('serving_default'), JSON.stringify(record.diagnosis));
    assert.match(record.diagnosis!.summary, /no_such_signature/);
    const shown = await rendered(api.results, record.entry.id);
    assert.equal(shown.state, 'error');
    assert.match(shown.error ?? '', /no_such_signature/);
    assert.ok(shown.text.includes('serving_default'), 'the signatures the model has are named');
  });

  it('an injected 503 is retried and the call succeeds', async () => {
    emu.clearRequests();
    emu.faults.add({ path: /:predict$/, kind: 'status', status: 503, times: 1 });
    const uri = vscode.Uri.file(join(root(), 'cloud', 'half_plus_two.request.json'));
    const record = await vscode.commands.executeCommand<CallRecord>('servelens.request.predict', uri);
    assert.deepEqual(predictions(record), [2.5, 3.0, 4.5]);
    const predicts = emu.requests().filter((r) => r.path.endsWith(':predict'));
    assert.deepEqual(predicts.map((r) => r.status), [503, 200]);
  });

  it('a 400 is never retried', async () => {
    emu.clearRequests();
    emu.faults.add({ path: /:predict$/, kind: 'status', status: 400, times: 1 });
    const uri = vscode.Uri.file(join(root(), 'cloud', 'half_plus_two.request.json'));
    const record = await vscode.commands.executeCommand<CallRecord>('servelens.request.predict', uri);
    assert.equal(record.entry.status, 'error');
    assert.equal(emu.requests().filter((r) => r.path.endsWith(':predict')).length, 1);
  });

  it('Explain asks nothing when given the deployed model and answers Vertex’s ExplainResponse', async () => {
    const uri = vscode.Uri.file(join(root(), 'cloud', 'half_plus_two.request.json'));
    const record = await vscode.commands.executeCommand<CallRecord>('servelens.request.explain', uri, { deployedModelId: STABLE });
    assert.equal(record.entry.status, 'ok', JSON.stringify(record.diagnosis));
    const body = JSON.parse(record.response!) as { explanations: { attributions: { instanceOutputValue: number; baselineOutputValue: number; featureAttributions: unknown }[] }[] };
    assert.equal(body.explanations.length, 3);
    const first = body.explanations[0]!.attributions[0]!;
    assert.ok(Math.abs(first.instanceOutputValue - 2.5) < 1e-5, JSON.stringify(first));
    assert.equal(record.entry.target.name, `${ENDPOINT} (deployed model ${STABLE})`);
    assert.ok(emu.requests().some((r) => r.path.endsWith(':explain')));
  });

  it('Predict locally runs the bound SavedModel with TensorFlow.js', async () => {
    const uri = vscode.Uri.file(join(root(), 'requests', 'half_plus_two.request.json'));
    const record = await vscode.commands.executeCommand<CallRecord>('servelens.request.predictLocally', uri);
    assert.deepEqual(predictions(record), [2.5, 3.0, 4.5]);
    assert.equal(record.entry.target.kind, 'local');
    assert.match(record.commands?.cli ?? '', /^servelens predict /);
  });

  it('Predict this line sends one instance of a JSON Lines file', async () => {
    const uri = vscode.Uri.file(join(root(), 'requests', 'half_plus_two.instances.jsonl'));
    const doc = await vscode.workspace.openTextDocument(uri);
    const line = Array.from({ length: doc.lineCount }, (_, i) => i).find((i) => doc.lineAt(i).text.includes('5.0'))!;
    const record = await vscode.commands.executeCommand<CallRecord>('servelens.request.predictLine', uri, { line });
    assert.equal(record.request, `{"instances": [${doc.lineAt(line).text.trim()}]}`);
    const p = predictions(record) as unknown[];
    assert.equal(p.length, 1);
    assert.equal(JSON.stringify(p[0]).includes('4.5'), true, JSON.stringify(p));
  });

  it('sends to TF Serving with the verb of the signature, without the Google token', async () => {
    // Outside cloud/**: the first binding that matches a file wins.
    const file = join(root(), 'tfserving-test.request.json');
    cleanup.push(file);
    await writeFile(file, '{"instances": [1.0, 2.0, 5.0]}\n');
    const uri = vscode.Uri.file(file);
    await vscode.commands.executeCommand('servelens.request.bindTarget', uri, { tfServing: `${emu.url}/v1/models/half_plus_two` });
    emu.clearRequests();
    const record = await vscode.commands.executeCommand<CallRecord>('servelens.request.predict', uri);
    assert.deepEqual(predictions(record), [2.5, 3.0, 4.5]);
    const call = emu.requests().find((r) => r.path === '/v1/models/half_plus_two:predict');
    assert.ok(call, JSON.stringify(emu.requests().map((r) => r.path)));
    assert.equal(call.authorization, false, 'TF Serving never gets the Google token');
    const lenses = await codeLenses(uri);
    assert.ok(!lenses.some((l) => l.command?.title === 'Explain'), 'TF Serving has no Explain');
  });

  it('keeps every call in the history, newest first, and Re-run sends the same body again', async () => {
    const entries = await api.history.store().list();
    assert.ok(entries.length >= 7, `history: ${entries.length}`);
    const ops = entries.map((e) => `${e.op}/${e.status}/${e.target.kind}`);
    assert.equal(entries[0]!.target.kind, 'tf-serving', ops.join(' '));
    assert.ok(ops.includes('predict/error/vertex'), 'the diagnosed 400 is kept');
    assert.ok(ops.includes('predict/ok/vertex'));
    assert.ok(ops.includes('explain/ok/vertex'));
    assert.ok(ops.includes('predict/ok/local'));
    const times = entries.map((e) => (e as unknown as { time: string }).time);
    assert.deepEqual([...times].sort().reverse(), times, 'newest first');
    const before = entries.length;
    const ok = entries.find((e) => e.status === 'ok' && e.target.kind === 'vertex' && e.op === 'predict')!;
    await vscode.commands.executeCommand('servelens.history.rerun', { entry: ok });
    const after = await api.history.store().list();
    assert.equal(after.length, before + 1);
    assert.equal(after[0]!.target.name, ok.target.name);
    assert.equal(after[0]!.status, 'ok');
  });

  it('writes the calls to the ServeLens log without a token or a request body', async () => {
    const EMULATOR_TOKEN = 'ya29.servelens-emulator-token';
    const dir = api.logUri.fsPath;
    const files = (await readdir(dir)).filter((f) => f.endsWith('.log'));
    assert.ok(files.length > 0, `no log file in ${dir}`);
    const text = (await Promise.all(files.map((f) => readFile(join(dir, f), 'utf8')))).join('\n');
    assert.match(text, /\[predict\] predict on Vertex AI endpoint 2281564539145093120 \(us-central1\): HTTP 200/, 'the calls are logged');
    assert.ok(!text.includes(EMULATOR_TOKEN), 'the access token never reaches the log');
    assert.ok(!/Bearer\s+ya29/.test(text));
    assert.ok(!text.includes('"instances"'), 'request bodies are not logged');
  });

  it('asks before sending a request with errors: dismissed sends nothing, "Send Anyway" sends it', async () => {
    const uri = vscode.Uri.file(join(root(), 'cloud', 'wrong-signature.request.json'));
    emu.clearRequests();
    const dismissed = await answering(undefined, () => Promise.resolve(vscode.commands.executeCommand<CallRecord | undefined>('servelens.request.predict', uri)));
    assert.equal(dismissed.result, undefined);
    assert.equal(dismissed.asked.length, 1);
    assert.match(dismissed.asked[0]!, /wrong-signature\.request\.json has 1 error.*no_such_signature/);
    assert.ok(!emu.requests().some((r) => /:(predict|rawPredict)$/.test(r.path)), 'nothing was sent');
    const sent = await answering('Send Anyway', () => Promise.resolve(vscode.commands.executeCommand<CallRecord>('servelens.request.predict', uri)));
    assert.equal(sent.result.entry.status, 'error');
    assert.equal(sent.result.diagnosis?.code, 'signature-not-found');
  });

  it('Explain on an endpoint with two deployed models asks which one', async () => {
    const uri = vscode.Uri.file(join(root(), 'cloud', 'half_plus_two.request.json'));
    const { result, offered } = await picking((items) => items.find((i) => (i as { id?: string }).id === STABLE), () => vscode.commands.executeCommand<CallRecord>('servelens.request.explain', uri));
    assert.deepEqual(offered.map((l) => l).sort(), ['half_plus_two-canary', 'half_plus_two-stable']);
    assert.equal(result.entry.status, 'ok', JSON.stringify(result.diagnosis));
    assert.equal(result.entry.target.name, `${ENDPOINT} (deployed model ${STABLE})`);
  });

  it('Target ▾ lists local models, Vertex AI endpoints and deployed models, AI Platform versions and TF Serving models, and binds the one chosen', async () => {
    const file = join(root(), 'target-pick-test.request.json');
    cleanup.push(file);
    await writeFile(file, '{"instances": [1.0]}\n');
    const uri = vscode.Uri.file(file);
    const tfs = (items: readonly vscode.QuickPickItem[]) => items.find((i) => i.label === '$(server) half_plus_two');
    const { offered } = await choosingTarget(tfs, () => vscode.commands.executeCommand('servelens.request.pickTarget', uri));
    const labels = offered.map((i) => i.label);
    for (const want of ['Local models (run with TensorFlow.js)', '$(symbol-structure) half_plus_two_cpu', 'Vertex AI endpoints', 'AI Platform models', 'TF Serving', '$(cloud) half-plus-two-prod', '$(package) half_plus_two-stable', '$(versions) half_plus_two v1', '$(server) half_plus_two', '$(edit) Other target…']) {
      assert.ok(labels.includes(want), `"${want}" among ${JSON.stringify(labels)}`);
    }
    const written = JSON.parse(await readFile(bindingFile, 'utf8')) as { bindings: { files: string; target: Record<string, string> }[] };
    const entry = written.bindings.find((b) => b.files === 'target-pick-test.request.json');
    assert.deepEqual(entry?.target, { tfServing: `${emu.url}/v1/models/half_plus_two` });
    // Chosen once, it is offered first next time.
    const again = await choosingTarget(() => undefined, () => vscode.commands.executeCommand('servelens.request.pickTarget', uri));
    assert.equal(again.offered[0]?.label, 'Recently used');
    assert.equal(again.offered[1]?.label, '$(history) half_plus_two (TF Serving)');
  });
});
