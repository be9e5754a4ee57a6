/**
 * Which model a command is about when it was given none: the model shown in the active editor, or
 * one the user picks among those the Models view found. Shared by the model commands (inspector,
 * new request) and the local runner's commands.
 */
import * as vscode from 'vscode';
import { UsageError } from '../../core/errors';
import type { ModelEntry } from './layout';

/** A file the inspector opens: saved_model.pb, saved_model.pbtxt or a TF.js model.json. */
export const MODEL_FILE = /(^|[\\/])(saved_model\.pb(txt)?|model\.json)$/;

/** The model shown in the active editor: an inspector tab, or a model file opened as text. */
export function activeModelFile(): string | undefined {
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  const uri = input instanceof vscode.TabInputCustom || input instanceof vscode.TabInputText ? input.uri : undefined;
  return uri?.scheme === 'file' && MODEL_FILE.test(uri.fsPath) ? uri.fsPath : undefined;
}

/** What the pick reads: the Models view's scan (its API, or its tree provider). */
export interface ModelSource {
  whenScanned(): Promise<void>;
  models(): readonly ModelEntry[];
}

/** A model of the Models view, picked by the user (after the first scan). Dismissing cancels. */
export async function pickWorkspaceModel(source: ModelSource, title: string, describe: (dir: string) => string = (d) => vscode.workspace.asRelativePath(d)): Promise<ModelEntry> {
  await source.whenScanned();
  const models = source.models();
  if (models.length === 0) {
    throw new UsageError(
      'No models were found in this workspace.',
      'Open a folder that holds a saved_model.pb, saved_model.pbtxt or TF.js model.json, or add one with the setting servelens.models.additionalFolders (servelens.models.exclude lists the folders not searched).',
    );
  }
  const items = models.map((m) => ({
    label: m.label,
    description: describe(m.dir),
    detail: m.versioned ? `versions ${m.versions.map((v) => v.name).join(', ')} (the highest is used)` : undefined,
    entry: m,
  }));
  const picked = await vscode.window.showQuickPick(items, { title, placeHolder: 'Pick a model', matchOnDescription: true });
  if (!picked) throw new vscode.CancellationError();
  return picked.entry;
}
