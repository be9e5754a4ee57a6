/**
 * The model commands: open in the inspector, reveal, refresh, copy a signature as JSON, and a new
 * request body from a signature. Each accepts what its callers pass (a tree node, a file URI from
 * the explorer, a path and signature name from the inspector) and asks with QuickPicks when run
 * from the palette with nothing.
 */
import { stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import * as vscode from 'vscode';
import { UsageError } from '../../core/errors';
import type { ModelInspection } from '../../core/model/inspect';
import type { Signature } from '../../core/model/types';
import { generateRequestText } from '../../core/request/generate';
import type { CommandHandler } from '../commands';
import type { CommandId } from '../constants';
import { Commands, CustomEditors } from '../constants';
import { latest } from './layout';
import type { ModelCache } from './modelCache';
import type { ModelsTreeProvider } from './modelsProvider';
import { ModelsNode, SignatureNode, fileOf, folderOf } from './nodes';
import { MODEL_FILE, activeModelFile, pickWorkspaceModel } from './pick';

/** The custom editor that shows a model file. */
export function viewTypeFor(file: string): string {
  return basename(file) === 'model.json' ? CustomEditors.inspectorTfjs : CustomEditors.inspector;
}

function asPath(arg: unknown): string | undefined {
  if (arg instanceof vscode.Uri) return arg.scheme === 'file' ? arg.fsPath : undefined;
  if (typeof arg === 'string' && arg.length > 0) return arg;
  if (arg instanceof ModelsNode) return fileOf(arg);
  return undefined;
}

/** The JSON a "Copy as JSON" puts on the clipboard: the CLI's `inspect --json` signature shape. */
export function signatureJson(sig: Signature): string {
  const t = (x: Signature['inputs'][number]) => ({ alias: x.alias, dtype: x.dtype, shape: x.shape, tensor: x.tensor });
  return JSON.stringify({ name: sig.name, method: sig.method, inputs: sig.inputs.map(t), outputs: sig.outputs.map(t) }, null, 2);
}

/** Finds a signature by name (in the tag-set given, else in the `serve` tag-set first). */
export function findSignature(insp: ModelInspection, name: string, tags?: readonly string[]): { sig: Signature; tags: string[] } {
  const key = (t: readonly string[]) => [...t].sort().join(',');
  const mgs = [...insp.summary.metaGraphs].sort(
    (a, b) => Number(!a.tags.includes('serve')) - Number(!b.tags.includes('serve')),
  );
  for (const mg of mgs) {
    if (tags && key(tags) !== key(mg.tags)) continue;
    const sig = mg.signatures.find((s) => s.name === name);
    if (sig) return { sig, tags: mg.tags };
  }
  const all = [...new Set(insp.summary.metaGraphs.flatMap((m) => m.signatures.map((s) => s.name)))];
  throw new UsageError(
    `${insp.summary.file} has no signature "${name}"${tags ? ` in the tag-set [${tags.join(', ')}]` : ''}`,
    all.length ? `Its signatures are: ${all.join(', ')}.` : 'It has no signatures at all.',
  );
}

/** A name for the untitled request: `<signature>.request.json` beside the model, not yet taken. */
async function requestUri(modelDir: string, signature: string): Promise<vscode.Uri> {
  const stem = signature.replace(/[^A-Za-z0-9_.-]+/g, '_').replace(/^[._]+/, '') || 'request';
  const open = new Set(vscode.workspace.textDocuments.map((d) => d.uri.toString()));
  for (let i = 1; ; i++) {
    const path = join(modelDir, `${stem}${i === 1 ? '' : `-${i}`}.request.json`);
    const uri = vscode.Uri.file(path).with({ scheme: 'untitled' });
    if (!open.has(uri.toString()) && !(await stat(path).then(() => true, () => false))) return uri;
  }
}

export interface ModelCommandDeps {
  provider: ModelsTreeProvider;
  cache: ModelCache;
}

export function modelCommands({ provider, cache }: ModelCommandDeps): Partial<Record<CommandId, CommandHandler>> {
  /** A model chosen from the Models tree: the file of its highest version. */
  async function pickModel(title: string): Promise<string> {
    return latest(await pickWorkspaceModel(provider, title, (d) => provider.describePath(d))).file;
  }

  async function pickSignature(file: string): Promise<{ name: string; tags: string[] }> {
    const insp = await cache.best(file);
    const items = insp.summary.metaGraphs.flatMap((mg) =>
      mg.signatures
        .filter((s) => !s.name.startsWith('__') && s.inputs.length > 0)
        .map((s) => ({
          label: s.name,
          description: `${s.method || 'no method'}${insp.summary.metaGraphs.length > 1 ? ` · [${mg.tags.join(', ')}]` : ''}`,
          detail: s.inputs.map((t) => `${t.alias}: ${t.dtype}`).join(', '),
          name: s.name,
          tags: mg.tags,
        })),
    );
    if (items.length === 0) throw new UsageError(`${file} has no signature that takes inputs`);
    items.sort((a, b) => Number(b.name === 'serving_default') - Number(a.name === 'serving_default'));
    if (items.length === 1) return items[0]!;
    const picked = await vscode.window.showQuickPick(items, { title: 'New request from signature', placeHolder: 'Pick a signature' });
    if (!picked) throw new vscode.CancellationError();
    return picked;
  }

  return {
    [Commands.modelInspect]: async (arg?: unknown) => {
      const file = asPath(arg) ?? activeModelFile() ?? (await pickModel('Open in SavedModel Inspector'));
      if (!MODEL_FILE.test(file)) {
        throw new UsageError(`${file} is not a saved_model.pb, saved_model.pbtxt or model.json file`, 'Open the model file itself, or its folder from the ServeLens Models view.');
      }
      await vscode.commands.executeCommand('vscode.openWith', vscode.Uri.file(file), viewTypeFor(file));
    },

    [Commands.modelReveal]: async (arg?: unknown) => {
      const target = arg instanceof ModelsNode ? folderOf(arg) : asPath(arg);
      if (!target) throw new UsageError('Reveal in Explorer needs a model from the Models view');
      const uri = vscode.Uri.file(target);
      if (!vscode.workspace.getWorkspaceFolder(uri)) {
        void vscode.window.showInformationMessage(`ServeLens: ${target} is outside the workspace folders.`);
        return;
      }
      await vscode.commands.executeCommand('revealInExplorer', uri);
    },

    [Commands.modelsRefresh]: () => provider.refresh(),

    [Commands.signatureCopyJson]: async (arg?: unknown, name?: unknown, tags?: unknown) => {
      let sig: Signature;
      if (arg instanceof SignatureNode) {
        sig = arg.signature;
      } else {
        const file = asPath(arg);
        if (!file || typeof name !== 'string') throw new UsageError('Copy Signature as JSON needs a signature from the Models view or the inspector');
        sig = findSignature(await cache.best(file), name, Array.isArray(tags) ? (tags as string[]) : undefined).sig;
      }
      const text = signatureJson(sig);
      await vscode.env.clipboard.writeText(text);
      vscode.window.setStatusBarMessage(`ServeLens: copied signature "${sig.name}" as JSON`, 3000);
      return text;
    },

    [Commands.requestNewFromSignature]: async (arg?: unknown, name?: unknown, tags?: unknown) => {
      let file: string;
      let sig: Signature;
      if (arg instanceof SignatureNode) {
        file = arg.file;
        sig = arg.signature;
      } else {
        // From the palette: the model in the active editor (the inspector), else one from the Models view.
        file = asPath(arg) ?? activeModelFile() ?? (await pickModel('New request from signature'));
        const chosen = typeof name === 'string' ? { name, tags: Array.isArray(tags) ? (tags as string[]) : undefined } : await pickSignature(file);
        sig = findSignature(await cache.best(file), chosen.name, chosen.tags).sig;
      }
      const text = generateRequestText(sig, { format: 'row' });
      const dir = dirname(file);
      // Beside the model: the base directory for a TF Serving version folder.
      const home = /^\d+$/.test(basename(dir)) ? dirname(dir) : dir;
      const doc = await vscode.workspace.openTextDocument(await requestUri(home, sig.name));
      const edit = new vscode.WorkspaceEdit();
      edit.insert(doc.uri, new vscode.Position(0, 0), text);
      await vscode.workspace.applyEdit(edit);
      await vscode.window.showTextDocument(doc, { preview: false });
      return doc;
    },
  };
}
