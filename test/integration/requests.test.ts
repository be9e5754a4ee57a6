// Request files inside a real editor: samples/.servelens.json binds samples/requests/** to the
// shared fixture saved_model_half_plus_two_cpu (signature serving_default: x float [-1,1] `x:0`).
// Diagnostics, quick fixes, hover and completion are driven through VS Code's own commands, and
// every wait is on an editor event (onDidChangeDiagnostics), never on a sleep. Every file the
// tests change is restored at the end.
import * as assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { savedModel } from '../helpers/fixtures';

const EXTENSION_ID = 'servelens.servelens';
const SOURCE = 'ServeLens';

function folder(): string {
  const f = vscode.workspace.workspaceFolders?.[0];
  assert.ok(f, 'the sample workspace is open');
  return f.uri.fsPath;
}

function ours(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === SOURCE);
}

function codeOf(d: vscode.Diagnostic): string {
  return typeof d.code === 'object' ? String(d.code.value) : String(d.code);
}

function show(ds: vscode.Diagnostic[]): string {
  return JSON.stringify(ds.map((d) => ({ code: codeOf(d), message: d.message, range: [d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character] })));
}

/**
 * Resolves with ServeLens's diagnostics of `uri` once `accept` holds for them: checked now, then on
 * every diagnostics change of that file. The timer only turns a hang into a failure.
 */
function diagnosticsWhere(
  uri: vscode.Uri,
  accept: (ds: vscode.Diagnostic[]) => boolean,
  what: string,
  timeoutMs = 15_000,
): Promise<vscode.Diagnostic[]> {
  return new Promise((resolve, reject) => {
    const done = (ds: vscode.Diagnostic[]) => {
      clearTimeout(timer);
      sub.dispose();
      resolve(ds);
    };
    const sub = vscode.languages.onDidChangeDiagnostics((e) => {
      if (!e.uris.some((u) => u.toString() === uri.toString())) return;
      const ds = ours(uri);
      if (accept(ds)) done(ds);
    });
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; diagnostics now: ${show(ours(uri))}`));
    }, timeoutMs);
    const now = ours(uri);
    if (accept(now)) done(now);
  });
}

/**
 * Like `diagnosticsWhere`, for a change made on disk outside the workspace: VS Code's file watcher
 * for such a folder takes a moment to start and says nothing when it is ready, so `change` is made
 * again every second until the diagnostics show it was seen (each write is the same, idempotent).
 */
async function diagnosticsAfterDiskChange(
  uri: vscode.Uri,
  change: () => Promise<void>,
  accept: (ds: vscode.Diagnostic[]) => boolean,
  what: string,
  timeoutMs = 15_000,
): Promise<vscode.Diagnostic[]> {
  const seen = diagnosticsWhere(uri, accept, what, timeoutMs);
  let done = false;
  void seen.finally(() => (done = true)).catch(() => undefined);
  await change();
  const again = setInterval(() => {
    if (!done) void change();
  }, 1000);
  try {
    return await seen;
  } finally {
    clearInterval(again);
  }
}

/** Replaces the whole text of an open document (as typing would: no save). */
async function setText(doc: vscode.TextDocument, text: string): Promise<void> {
  const edit = new vscode.WorkspaceEdit();
  edit.replace(doc.uri, new vscode.Range(doc.positionAt(0), doc.positionAt(doc.getText().length)), text);
  assert.ok(await vscode.workspace.applyEdit(edit), 'the edit applied');
}

function hoverText(hovers: vscode.Hover[]): string {
  return hovers
    .flatMap((h) => h.contents)
    .map((c) => (typeof c === 'string' ? c : 'value' in c ? c.value : ''))
    .join('\n');
}

function itemLabel(item: vscode.CompletionItem): string {
  return typeof item.label === 'string' ? item.label : item.label.label;
}

describe('request files', function () {
  let root: string;
  let bindingFile: string;
  let bindingText: string;
  const restore: { file: string; text: string | undefined }[] = [];

  /** Remembers a file's content (or absence) to put back after the suite. */
  async function keep(file: string): Promise<void> {
    restore.push({ file, text: await readFile(file, 'utf8').catch(() => undefined) });
  }

  before(async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext);
    await ext.activate();
    root = folder();
    bindingFile = join(root, '.servelens.json');
    bindingText = await readFile(bindingFile, 'utf8');
    await keep(bindingFile);
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    for (const { file, text } of restore.reverse()) {
      if (text === undefined) await rm(file, { force: true });
      else await writeFile(file, text);
    }
  });

  describe('a request with a wrong alias, bound to half_plus_two', () => {
    let uri: vscode.Uri;
    let doc: vscode.TextDocument;
    let original: string;

    before(async () => {
      uri = vscode.Uri.file(join(root, 'requests', 'wrong-alias.request.json'));
      await keep(uri.fsPath);
      original = await readFile(uri.fsPath, 'utf8');
      doc = await vscode.workspace.openTextDocument(uri);
      await vscode.window.showTextDocument(doc);
    });

    after(async () => {
      // Put the sample back as it was, in the editor and on disk.
      if (!doc.isClosed && doc.getText() !== original) {
        await setText(doc, original);
        await doc.save();
      }
    });

    it('flags the unknown alias on the exact range of "xx", naming the expected alias', async () => {
      const ds = await diagnosticsWhere(uri, (d) => d.some((x) => codeOf(x) === 'unknown-alias'), 'an unknown-alias diagnostic');
      const d = ds.find((x) => codeOf(x) === 'unknown-alias')!;
      const start = doc.getText().indexOf('"xx"');
      assert.ok(start > 0);
      assert.deepEqual(
        [doc.offsetAt(d.range.start), doc.offsetAt(d.range.end)],
        [start, start + '"xx"'.length],
        `range of ${show([d])}`,
      );
      assert.equal(d.severity, vscode.DiagnosticSeverity.Error);
      assert.match(d.message, /did you mean "x"/, 'the message names the alias the model expects');
      // Nothing else is wrong with the body (the instance lacks "x" only because of the typo).
      assert.deepEqual(ds.filter((x) => !['unknown-alias', 'missing-alias'].includes(codeOf(x))), [], show(ds));
    });

    it('offers "rename to x" as the preferred quick fix; applying it clears the diagnostics', async () => {
      const [d] = ours(uri).filter((x) => codeOf(x) === 'unknown-alias');
      assert.ok(d);
      const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>(
        'vscode.executeCodeActionProvider',
        uri,
        d.range,
        vscode.CodeActionKind.QuickFix.value,
      );
      const titles = JSON.stringify(actions.map((a) => `${a.title}${a.isPreferred ? ' (preferred)' : ''} [${a.kind?.value}]`));
      assert.ok(actions.every((a) => a.kind?.value === vscode.CodeActionKind.QuickFix.value), titles);
      const rename = actions.find((a) => a.title === 'Rename "xx" to "x"');
      assert.ok(rename?.edit, `a rename with an edit among ${titles}`);
      assert.equal(rename.isPreferred, true, `the rename is the preferred fix: ${titles}`);
      assert.ok(actions.some((a) => a.title === 'Remove "xx"'), `the other fix of the alias, remove the key, among ${titles}`);

      const cleared = diagnosticsWhere(uri, (ds) => ds.length === 0, 'the diagnostics to clear');
      assert.ok(await vscode.workspace.applyEdit(rename.edit));
      await cleared;
      assert.equal(doc.getText(), original.replace('"xx"', '"x"'));
    });

    it('shows the input on hover over an alias: dtype, shape, tensor name, signature and method', async () => {
      await setText(doc, '{"instances": [{"x": [1.0]}]}\n');
      const pos = doc.positionAt(doc.getText().indexOf('"x"') + 1);
      const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, pos);
      const text = hoverText(hovers);
      for (const expected of ['DT_FLOAT', '[-1, 1]', 'x:0', 'serving_default', 'tensorflow/serving/predict']) {
        assert.ok(text.includes(expected), `hover lacks ${expected}:\n${text}`);
      }
    });

    it('completes the aliases of the signature inside an instance, with dtype and shape', async () => {
      await setText(doc, '{"instances": [{"": [1.0]}]}\n');
      const pos = doc.positionAt('{"instances": [{"'.length);
      const list = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', uri, pos);
      const x = list.items.find((i) => itemLabel(i) === 'x' && String(i.detail ?? '').includes('DT_FLOAT'));
      assert.ok(x, `no alias x among ${JSON.stringify(list.items.map(itemLabel).slice(0, 40))}`);
      assert.match(String(x.detail), /\[-1, 1\]/);
    });

    it('completes the signature names of the model for signature_name (not TF-internal ones)', async () => {
      await setText(doc, '{"instances": [1.0], "signature_name": ""}\n');
      const pos = doc.positionAt('{"instances": [1.0], "signature_name": "'.length);
      const list = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', uri, pos);
      const labels = list.items.map(itemLabel);
      for (const name of ['serving_default', 'regress_x_to_y', 'regress_x_to_y2', 'regress_x2_to_y3', 'classify_x_to_y']) {
        assert.ok(labels.includes(name), `no ${name} among ${JSON.stringify(labels.slice(0, 40))}`);
      }
      assert.ok(!labels.some((l) => l.startsWith('__saved_model')));
    });
  });

  describe('samples that follow the services\' documentation', () => {
    for (const name of ['half_plus_two.request.json', 'half_plus_two.columnar.request.json', 'classify_x_to_y.request.json', 'half_plus_two.instances.jsonl']) {
      it(`${name} has no errors ("Validate Request File")`, async () => {
        const uri = vscode.Uri.file(join(root, 'requests', name));
        const summary = await vscode.commands.executeCommand<{ errors: number; target?: string; signature?: string }>('servelens.request.validate', uri);
        assert.equal(summary.errors, 0, `${name}: ${show(ours(uri))}`);
        assert.equal(summary.target, 'half_plus_two_cpu');
        assert.deepEqual(ours(uri).filter((d) => d.severity === vscode.DiagnosticSeverity.Error), []);
      });
    }
  });

  describe('a JSON Lines instances file', () => {
    it('shows the input on hover over an alias of any line', async () => {
      const uri = vscode.Uri.file(join(root, 'requests', 'half_plus_two.instances.jsonl'));
      const doc = await vscode.workspace.openTextDocument(uri);
      await vscode.commands.executeCommand('servelens.request.validate', uri);
      assert.equal(doc.lineAt(2).text, '{"x": [5.0]}');
      const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, new vscode.Position(2, 3));
      const mine = hovers.filter((h) => hoverText([h]).includes('x:0'));
      assert.equal(mine.length, 1, hoverText(hovers));
      assert.deepEqual(
        [mine[0]!.range?.start.line, mine[0]!.range?.start.character, mine[0]!.range?.end.character],
        [2, 1, 4],
        'the range of "x" on that line',
      );
    });
  });

  describe('rewriting between row and columnar format', () => {
    it('offers "Convert to row format" on the "inputs" line of a columnar body, and back', async () => {
      const uri = vscode.Uri.file(join(root, 'requests', 'half_plus_two.columnar.request.json'));
      await keep(uri.fsPath);
      const doc = await vscode.workspace.openTextDocument(uri);
      await vscode.window.showTextDocument(doc);
      const original = doc.getText();
      await vscode.commands.executeCommand('servelens.request.validate', uri);

      const rewrite = async (title: string) => {
        const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>(
          'vscode.executeCodeActionProvider',
          uri,
          new vscode.Range(0, 2, 0, 2),
          vscode.CodeActionKind.RefactorRewrite.value,
        );
        const action = actions.find((a) => a.title === title);
        assert.ok(action?.edit, `no "${title}" among ${JSON.stringify(actions.map((a) => a.title))}`);
        assert.ok(await vscode.workspace.applyEdit(action.edit));
        // Validated now (not after the typing debounce), so the next rewrite is offered at once.
        const summary = await vscode.commands.executeCommand<{ errors: number }>('servelens.request.validate', uri);
        assert.equal(summary.errors, 0, show(ours(uri)));
      };
      await rewrite('Convert to row format ("instances")');
      assert.equal(doc.getText(), original.replace('"inputs"', '"instances"'));
      await rewrite('Convert to columnar format ("inputs")');
      assert.equal(doc.getText(), original);
      await doc.save();
    });
  });

  describe('as the file is edited and closed', () => {
    let uri: vscode.Uri;
    let doc: vscode.TextDocument;

    before(async () => {
      uri = vscode.Uri.file(join(root, 'requests', 'servelens-test-lifecycle.request.json'));
      await keep(uri.fsPath);
      await writeFile(uri.fsPath, '{"instances": [{"x": [1.0]}]}\n');
      doc = await vscode.workspace.openTextDocument(uri);
      await vscode.window.showTextDocument(doc);
    });

    it('re-validates while typing (no save) and on close forgets the file', async () => {
      await diagnosticsWhere(uri, (ds) => ds.length === 0, 'a valid body to have no diagnostics');
      const typed = diagnosticsWhere(uri, (ds) => ds.some((d) => codeOf(d) === 'dtype-mismatch'), 'a dtype-mismatch while typing');
      await setText(doc, '{"instances": [{"x": ["one"]}]}\n');
      const [d] = (await typed).filter((x) => codeOf(x) === 'dtype-mismatch');
      assert.equal(doc.getText(d!.range), '"one"');
      assert.ok(doc.isDirty, 'found before any save');

      const cleared = diagnosticsWhere(uri, (ds) => ds.length === 0, 'the diagnostics of a closed file to go');
      await vscode.window.showTextDocument(doc);
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
      await cleared;
    });
  });

  describe('a bound model that changes on disk', () => {
    let tmp: string;
    let uri: vscode.Uri;

    before(async () => {
      tmp = await mkdtemp(join(tmpdir(), 'servelens-requests-'));
      await cp(savedModel('saved_model_half_plus_two_cpu'), join(tmp, 'half_plus_two'), { recursive: true });
      uri = vscode.Uri.file(join(root, 'servelens-test-model.json'));
      await keep(uri.fsPath);
      // A typo only a readable half_plus_two can point out.
      await writeFile(uri.fsPath, '{"instances": [{"xx": [1.0]}]}\n');
      await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
    });

    after(async () => {
      await writeFile(bindingFile, bindingText);
      if (tmp) await rm(tmp, { recursive: true, force: true });
    });

    it('is read again: a truncated saved_model.pb shows why, the whole file clears it', async () => {
      const pb = join(tmp, 'half_plus_two', '00000123', 'saved_model.pb');
      const whole = await readFile(pb);
      const checked = diagnosticsWhere(uri, (ds) => ds.some((d) => codeOf(d) === 'unknown-alias'), 'the file checked against the copy');
      const bound = await vscode.commands.executeCommand<{ glob: string }>('servelens.request.bindTarget', uri, { model: join(tmp, 'half_plus_two') });
      assert.equal(bound.glob, 'servelens-test-model.json');
      await checked;

      const broken = await diagnosticsAfterDiskChange(
        uri,
        () => writeFile(pb, whole.subarray(0, 100)),
        (ds) => ds.some((d) => codeOf(d) === 'model-unreadable'),
        'model-unreadable after truncation',
      );
      const [d] = broken.filter((x) => codeOf(x) === 'model-unreadable');
      assert.ok(d!.message.includes(join(tmp, 'half_plus_two')), d!.message);
      assert.equal(d!.range.start.line, 0);

      await diagnosticsAfterDiskChange(
        uri,
        () => writeFile(pb, whole),
        (ds) => ds.some((x) => codeOf(x) === 'unknown-alias') && !ds.some((x) => codeOf(x) === 'model-unreadable'),
        'the model to be read again once it is whole',
      );
    });
  });

  describe('a JSON Lines file over 2 MB', () => {
    let uri: vscode.Uri;
    let doc: vscode.TextDocument;
    let small: vscode.TextDocument;
    const line = '{"x": [1.0]}\n';
    const lines = Math.ceil((2.5 * 1024 * 1024) / line.length);

    before(async () => {
      uri = vscode.Uri.file(join(root, 'requests', 'servelens-test-large.instances.jsonl'));
      await keep(uri.fsPath);
      await writeFile(uri.fsPath, line.repeat(lines) + '{"xx": [1.0]}\n');
      small = await vscode.workspace.openTextDocument(vscode.Uri.file(join(root, 'requests', 'wrong-alias.request.json')));
    });

    after(async () => {
      for (const d of [doc, small]) {
        if (d && !d.isClosed && d.isDirty) {
          await vscode.window.showTextDocument(d);
          await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
        }
      }
    });

    it('is validated when opened, with the finding on its last line', async () => {
      const found = diagnosticsWhere(uri, (ds) => ds.some((d) => codeOf(d) === 'unknown-alias'), 'the unknown alias on the last line');
      doc = await vscode.workspace.openTextDocument(uri);
      await vscode.window.showTextDocument(doc);
      const [d] = (await found).filter((x) => codeOf(x) === 'unknown-alias');
      assert.equal(d!.range.start.line, lines);
      assert.equal(doc.getText(d!.range), '"xx"');
    });

    it('is not re-validated while typing, only when saved', async () => {
      const before = ours(uri).map(codeOf).sort();
      assert.ok(before.includes('unknown-alias'));
      // Fix the last line without saving, then type into a small request file and wait for two of
      // its debounced validations: a large file re-validated per keystroke would have been by then.
      const last = doc.lineAt(lines);
      const edit = new vscode.WorkspaceEdit();
      edit.replace(uri, last.range, '{"x": [1.0]}');
      assert.ok(await vscode.workspace.applyEdit(edit));
      for (const value of ['true', '"s"']) {
        const seen = diagnosticsWhere(small.uri, (ds) => ds.some((d) => small.getText(d.range) === value), `a finding on ${value} in the small file`);
        await setText(small, `{"instances": [{"x": ${value}}]}\n`);
        await seen;
      }
      assert.deepEqual(ours(uri).map(codeOf).sort(), before, 'the large file kept its diagnostics while typing');

      const cleared = diagnosticsWhere(uri, (ds) => ds.length === 0, 'the large file to validate cleanly on save');
      assert.ok(await doc.save());
      await cleared;
    });
  });

  describe('binding a plain JSON file', () => {
    let uri: vscode.Uri;

    before(async () => {
      // Outside requests/** (which .servelens.json binds already): a plain JSON file, not a request yet.
      uri = vscode.Uri.file(join(root, 'servelens-test-bound.json'));
      await keep(uri.fsPath);
      await writeFile(uri.fsPath, '{"instances": [{"y": [1.0]}]}\n');
      await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
    });

    it('validates it once it is bound through "Bind Request File to Target…"', async () => {
      const model = savedModel('saved_model_half_plus_two_cpu');
      const found = diagnosticsWhere(uri, (ds) => ds.some((d) => codeOf(d) === 'unknown-alias'), 'the bound file to be validated');
      const result = await vscode.commands.executeCommand<{ file: string; glob: string }>(
        'servelens.request.bindTarget',
        uri,
        { model },
      );
      assert.equal(result.glob, 'servelens-test-bound.json');
      assert.equal(result.file, bindingFile);
      assert.notEqual(await readFile(bindingFile, 'utf8'), bindingText, '.servelens.json was written');
      await found;
    });

    it('shows one diagnostic at the top of the file when the bound model cannot be read', async () => {
      const missing = join(root, 'no-such-model');
      const shown = diagnosticsWhere(uri, (ds) => ds.some((d) => codeOf(d) === 'model-unreadable'), 'a model-unreadable diagnostic');
      await vscode.commands.executeCommand('servelens.request.bindTarget', uri, { model: missing });
      const ds = await shown;
      const d = ds.filter((x) => codeOf(x) === 'model-unreadable');
      assert.equal(d.length, 1);
      assert.equal(d[0]!.range.start.line, 0);
      assert.ok(d[0]!.message.includes(missing), `the message names the model path: ${d[0]!.message}`);
    });

    it('forgets the file when the binding is removed from .servelens.json', async () => {
      const gone = diagnosticsWhere(uri, (ds) => ds.length === 0, 'the diagnostics of an unbound plain JSON file to go');
      await writeFile(bindingFile, bindingText);
      await gone;
    });
  });
});
