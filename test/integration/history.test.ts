// The History view inside a real editor: calls recorded in this workspace's history show newest
// first with their status, relative time and latency; clicking one opens it with its stored bodies;
// Delete and Clear (after a modal confirmation, answered here by a stub of showWarningMessage) remove
// them. The tree is read through its provider, as the view reads it; waits are on its change event.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { HistoryEntry, NewEntry } from '../../src/core/predict/history';
import type { ServeLensApi } from '../../src/extension';
import type { HistoryNode } from '../../src/vscode/history/historyView';
import type { CallRecord } from '../../src/vscode/predict/contract';
import { answering, picking } from '../helpers/dialogs';
import { rendered } from '../helpers/rendered';

const EXTENSION_ID = 'servelens.servelens';

const label = (item: vscode.TreeItem): string => (typeof item.label === 'string' ? item.label : (item.label?.label ?? ''));

/** Resolves on the provider's next change event; the timer only turns a hang into a failure. */
function nextChange(provider: vscode.TreeDataProvider<HistoryNode>, what: string, timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
    const sub = provider.onDidChangeTreeData!(() => {
      clearTimeout(timer);
      sub.dispose();
      resolve();
    });
  });
}

describe('History view', function () {
  this.timeout(60_000);
  let api: ServeLensApi;

  const store = () => api.history.store();
  const provider = () => api.historyView.treeDataProvider;

  async function add(over: Partial<NewEntry>): Promise<HistoryEntry> {
    const entry = await api.history.add({
      op: 'predict',
      target: { kind: 'local', name: '/models/saved_model_half_plus_two_cpu', label: 'local models/saved_model_half_plus_two_cpu' },
      request: '{"instances": [1.0]}',
      response: '{"predictions": [2.5]}',
      status: 'ok',
      latencyMs: 12,
      httpStatus: 200,
      ...over,
    });
    return entry;
  }

  async function emptyHistory(): Promise<void> {
    await api.history.clear();
  }

  async function nodes(): Promise<{ node: HistoryNode; item: vscode.TreeItem }[]> {
    const kids = await provider().getChildren();
    return (kids ?? []).map((node) => ({ node, item: provider().getTreeItem(node) as vscode.TreeItem }));
  }

  before(async () => {
    const ext = vscode.extensions.getExtension<ServeLensApi>(EXTENSION_ID);
    assert.ok(ext);
    api = await ext.activate();
    await emptyHistory();
  });

  after(async () => {
    await emptyHistory();
  });

  it('lists calls newest first: label, relative time and latency, status icon and context value, tooltip, click opens', async () => {
    const now = Date.now();
    await add({ time: new Date(now - 3 * 60_000) });
    await add({
      op: 'explain',
      target: { kind: 'vertex', name: 'projects/p/locations/us-central1/endpoints/42', label: 'Vertex AI endpoint 42 (us-central1)' },
      status: 'error',
      response: '{"error": {"code": 400, "message": "bad"}}',
      httpStatus: 400,
      error: 'input "x" expects a float',
      latencyMs: 250,
      time: new Date(now - 2 * 60_000),
    });
    const changed = nextChange(provider(), 'the tree to refresh after a call is added');
    await add({ time: new Date(now - 60_000), file: '/w/requests/a.request.json' });
    await changed;

    const list = await nodes();
    assert.deepEqual(
      list.map((n) => label(n.item)),
      ['Predict · local models/saved_model_half_plus_two_cpu', 'Explain · Vertex AI endpoint 42 (us-central1)', 'Predict · local models/saved_model_half_plus_two_cpu'],
    );
    assert.deepEqual(list.map((n) => n.item.contextValue), ['servelens.history.call.ok', 'servelens.history.call.error', 'servelens.history.call.ok']);
    assert.equal(list[0]!.item.description, '1 min ago · 12 ms');
    assert.equal(list[1]!.item.description, '2 min ago · 250 ms · failed');
    assert.deepEqual(list.map((n) => (n.item.iconPath as vscode.ThemeIcon).id), ['pass', 'error', 'pass']);
    const tip = (list[1]!.item.tooltip as vscode.MarkdownString).value;
    for (const part of ['projects/p/locations/us-central1/endpoints/42', 'HTTP status: 400', 'Status: failed', 'expects a float']) assert.ok(tip.includes(part), `${part} in ${tip}`);
    assert.ok((list[0]!.item.tooltip as vscode.MarkdownString).value.includes('/w/requests/a.request.json'));
    assert.equal(list[0]!.item.command?.command, 'servelens.history.open');
    assert.equal(list[0]!.item.command?.arguments?.[0], list[0]!.node);
  });

  it('Open Call shows the call with the bodies the history kept', async () => {
    const [first] = await nodes();
    const record = await vscode.commands.executeCommand<CallRecord>('servelens.history.open', first!.node);
    assert.equal(record.entry.file, '/w/requests/a.request.json');
    assert.equal(record.request, '{"instances": [1.0]}');
    assert.equal(record.response, '{"predictions": [2.5]}');
    assert.equal(api.results.current()?.entry.id, record.entry.id, 'the results view shows the opened call');
    // Waited for, not only asked for: a webview closed while it is still starting leaves code-server's
    // webview service worker half set up, and the next webview (another suite's) then never loads.
    await rendered(api.results, record.entry.id);
  });

  it('Open Call from the palette offers the calls, newest first, and opens the one picked', async () => {
    const { result: record, offered } = await picking((items) => items[1], () => vscode.commands.executeCommand<CallRecord>('servelens.history.open'));
    await rendered(api.results, record.entry.id);
    assert.deepEqual(offered, ['$(pass) Predict · local models/saved_model_half_plus_two_cpu', '$(error) Explain · Vertex AI endpoint 42 (us-central1)', '$(pass) Predict · local models/saved_model_half_plus_two_cpu']);
    assert.equal(record.entry.op, 'explain');
    assert.equal(record.entry.status, 'error');
    const { result: none } = await picking(() => undefined, () => vscode.commands.executeCommand<CallRecord | undefined>('servelens.history.open'));
    assert.equal(none, undefined, 'dismissing the pick opens nothing');
  });

  it('Delete Call removes that call and its bodies; the tree refreshes', async () => {
    const before = await nodes();
    const victim = before[1]!;
    const id = (await store().list())[1]!.id;
    const changed = nextChange(provider(), 'the tree to refresh after a delete');
    assert.equal(await vscode.commands.executeCommand('servelens.history.delete', victim.node), true);
    await changed;
    const after = await nodes();
    assert.equal(after.length, before.length - 1);
    assert.ok(!after.some((n) => n.item.contextValue === 'servelens.history.call.error'));
    assert.equal(await store().get(id), undefined);
    // Opening a call that is gone says so.
    await assert.rejects(Promise.resolve(vscode.commands.executeCommand('servelens.history.open', id)), /no longer in the history/);
  });

  it('Clear History asks first: dismissed keeps every call, confirmed removes them all', async () => {
    const count = (await store().list()).length;
    assert.ok(count > 0);
    const kept = await answering(undefined, () => Promise.resolve(vscode.commands.executeCommand<boolean>('servelens.history.clear')));
    assert.equal(kept.result, false);
    assert.deepEqual(kept.asked, [`Clear the history of ${count} calls?`]);
    assert.equal((await store().list()).length, count);

    const changed = nextChange(provider(), 'the tree to refresh after a clear');
    const cleared = await answering('Clear History', () => Promise.resolve(vscode.commands.executeCommand<boolean>('servelens.history.clear')));
    assert.equal(cleared.result, true);
    await changed;
    assert.deepEqual(await provider().getChildren(), []);
    assert.deepEqual(await store().list(), []);
  });
});
