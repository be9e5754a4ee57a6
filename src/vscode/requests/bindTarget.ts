/**
 * "Bind Request File to Target…": picks what a request file is checked against (a model found in
 * the workspace, a model path, a Vertex AI endpoint, an AI Platform version or a TF Serving URL)
 * and writes it to the workspace folder's `.servelens.json` through the core, so the editor and
 * `servelens validate` agree. Binding never sends anything anywhere: a cloud or TF Serving target
 * is only written down.
 *
 * Called with (uri, target) it binds without asking (scripts, tests, other commands).
 */
import { basename, dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import * as vscode from 'vscode';
import { UsageError } from '../../core/errors';
import type { Logger } from '../log';
import type { BindingStore } from './bindings';
import type { BindingTarget } from './core';
import { isBindingTarget, modelLabel, targetProblem, writeBinding } from './core';
import type { SignatureCache } from './signatures';
import { isInternalSignature } from './signatures';

const MODEL_FILES = '**/{saved_model.pb,saved_model.pbtxt,model.json}';
const MAX_MODELS = 500;

/** A target chosen in the picker, with the signature to use when the body names none. */
interface Chosen {
  target: BindingTarget;
  signature?: string;
}

interface TargetPick extends vscode.QuickPickItem {
  pick: () => Promise<Chosen | undefined>;
}

/** A model's folder for binding: a TF Serving base dir when the file sits in a numeric version folder. */
export function bindableModelDir(modelFile: string): string {
  const dir = dirname(modelFile);
  return /^\d+$/.test(basename(dir)) ? dirname(dir) : dir;
}

/** The path written to `.servelens.json`: relative to the folder (posix separators) when that is shorter to read. */
export function portablePath(root: string, path: string): string {
  const rel = relative(root, path);
  if (rel === '') return '.';
  return isAbsolute(rel) ? path : rel.split(sep).join('/');
}

/** The glob that names exactly one file: its root-relative path with the glob's special characters escaped. */
export function fileGlob(root: string, file: string): string {
  return portablePath(root, file).replace(/[*?[\]{}\\]/g, '\\$&');
}

function fileUriOf(arg: unknown): vscode.Uri | undefined {
  if (arg instanceof vscode.Uri) return arg;
  return vscode.window.activeTextEditor?.document.uri;
}

async function workspaceModels(): Promise<string[]> {
  const exclude = vscode.workspace.getConfiguration('servelens').get<string[]>('models.exclude') ?? [];
  const files = await vscode.workspace.findFiles(
    MODEL_FILES,
    exclude.length ? `{${exclude.join(',')}}` : undefined,
    MAX_MODELS,
  );
  const dirs = new Set(files.filter((f) => f.scheme === 'file').map((f) => bindableModelDir(f.fsPath)));
  return [...dirs].sort();
}

async function askText(title: string, prompt: string, placeHolder: string, check: (v: string) => string | undefined) {
  const value = await vscode.window.showInputBox({
    title,
    prompt,
    placeHolder,
    ignoreFocusOut: true,
    validateInput: (v) => (v.trim() ? check(v.trim()) : 'Required.'),
  });
  return value?.trim() || undefined;
}

/** What is wrong with a TF Serving URL typed in: the binding file's rule, and no credentials in it. */
export function checkTfServingUrl(v: string): string | undefined {
  const problem = targetProblem({ tfServing: v });
  if (problem) return problem;
  try {
    const url = new URL(v);
    if (url.username || url.password) return 'Leave credentials out of the URL: it is written to .servelens.json.';
  } catch {
    return 'Not a URL: expected http://HOST:PORT/v1/models/NAME.';
  }
  return undefined;
}

/** Asks for a signature of a local model (skipped when it has one, or cannot be read). */
async function pickSignature(signatures: SignatureCache, modelPath: string): Promise<string | undefined | null> {
  let names: string[];
  try {
    names = (await signatures.get(modelPath)).signatures.map((s) => s.name).filter((n) => !isInternalSignature(n));
  } catch {
    return undefined; // bound anyway: the file then shows why the model cannot be read
  }
  if (names.length <= 1) return undefined;
  names.sort((a, b) => Number(b === 'serving_default') - Number(a === 'serving_default') || a.localeCompare(b));
  const choice = await vscode.window.showQuickPick(
    names.map((n) => ({ label: n, description: n === 'serving_default' ? 'default' : undefined })),
    { title: `Signature of ${modelLabel(modelPath)}`, placeHolder: 'The signature requests are checked against when they name none' },
  );
  if (!choice) return null;
  return choice.label === 'serving_default' ? undefined : choice.label;
}

async function askTarget(root: string, signatures: SignatureCache): Promise<Chosen | undefined> {
  const models = await workspaceModels();
  const local = (dir: string) => async (): Promise<Chosen | undefined> => {
    const signature = await pickSignature(signatures, dir);
    if (signature === null) return undefined;
    return { target: { model: portablePath(root, dir) }, ...(signature ? { signature } : {}) };
  };
  const items: (TargetPick | vscode.QuickPickItem)[] = [];
  if (models.length) items.push({ label: 'Models in this workspace', kind: vscode.QuickPickItemKind.Separator });
  for (const dir of models) {
    items.push({ label: `$(symbol-structure) ${modelLabel(dir)}`, description: vscode.workspace.asRelativePath(dir), pick: local(dir) });
  }
  items.push(
    { label: 'Other targets', kind: vscode.QuickPickItemKind.Separator },
    {
      label: '$(folder-opened) Enter a model path…',
      detail: 'A SavedModel folder, a TF Serving base folder, a saved_model.pb/.pbtxt or a TensorFlow.js model.json',
      pick: async () => {
        const v = await askText('Model path', 'Absolute, or relative to the workspace folder', 'models/my_model', () => undefined);
        return v === undefined ? undefined : local(resolve(root, v))();
      },
    },
    {
      label: '$(cloud) Vertex AI endpoint…',
      pick: async () => {
        const v = await askText('Vertex AI endpoint', 'The endpoint resource name', 'projects/PROJECT/locations/REGION/endpoints/ENDPOINT_ID', (x) =>
          targetProblem({ endpoint: x }));
        return v === undefined ? undefined : { target: { endpoint: v } };
      },
    },
    {
      label: '$(cloud) AI Platform version…',
      pick: async () => {
        const v = await askText('AI Platform model version', 'The model (its default version) or one version', 'projects/PROJECT/models/MODEL/versions/VERSION', (x) =>
          targetProblem({ version: x }));
        return v === undefined ? undefined : { target: { version: v } };
      },
    },
    {
      label: '$(server) TF Serving URL…',
      pick: async () => {
        const v = await askText('TF Serving model URL', 'The REST URL of the model', 'http://localhost:8501/v1/models/half_plus_two', checkTfServingUrl);
        return v === undefined ? undefined : { target: { tfServing: v } };
      },
    },
  );
  const choice = await vscode.window.showQuickPick(items, {
    title: 'Bind Request File to Target',
    placeHolder: 'What this request is checked against',
    matchOnDescription: true,
  });
  return choice && 'pick' in choice ? choice.pick() : undefined;
}

export interface BindResult {
  /** The binding file written. */
  file: string;
  glob: string;
  target: BindingTarget;
  signature?: string;
}

export function bindTargetCommand(deps: { bindings: BindingStore; signatures: SignatureCache; logger: Logger }) {
  return async (arg?: unknown, given?: unknown, givenSignature?: unknown): Promise<BindResult | undefined> => {
    const uri = fileUriOf(arg);
    if (!uri) throw new UsageError('No request file to bind.', 'Open a request file, then run "Bind Request File to Target…" again.');
    const folder = vscode.workspace.getWorkspaceFolder(uri);
    if (!folder || folder.uri.scheme !== 'file') {
      throw new UsageError(
        `${uri.fsPath} is not in a workspace folder.`,
        'Bindings are kept in a workspace folder\'s .servelens.json: open the folder that holds the request.',
      );
    }
    const root = folder.uri.fsPath;
    if (given !== undefined && !isBindingTarget(given)) {
      throw new UsageError(
        'The target passed to servelens.request.bindTarget is not a target.',
        'Pass {"model": PATH}, {"endpoint": NAME}, {"version": NAME} or {"tfServing": URL}.',
      );
    }
    if (givenSignature !== undefined && typeof givenSignature !== 'string') {
      throw new UsageError('The signature passed to servelens.request.bindTarget is not a name.');
    }
    const chosen: Chosen | undefined = given
      ? { target: given, ...(givenSignature ? { signature: givenSignature } : {}) }
      : await askTarget(root, deps.signatures);
    if (!chosen) return undefined;
    const glob = fileGlob(root, uri.fsPath);
    const file = await writeBinding(root, glob, chosen.target, chosen.signature);
    deps.logger.info('requests', `bound ${glob} to ${JSON.stringify(chosen.target)}${chosen.signature ? ` (${chosen.signature})` : ''} in ${file}`);
    // The watcher notices too; reloading now makes the new binding take effect at once.
    deps.bindings.reload();
    // The first matching entry wins: say so when an earlier, broader glob still takes this file.
    const now = await deps.bindings.lookup(uri);
    if (now.target && now.target.glob !== glob) {
      void vscode.window.showWarningMessage(
        `ServeLens: "${glob}" was added to ${vscode.workspace.asRelativePath(file)}, but the earlier entry "${now.target.glob}" matches this file first. Move the new entry above it, or narrow "${now.target.glob}".`,
      );
    }
    const result: BindResult = { file, glob, target: chosen.target };
    if (chosen.signature) result.signature = chosen.signature;
    return result;
  };
}
