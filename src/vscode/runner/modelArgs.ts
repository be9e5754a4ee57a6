/**
 * Which model a runner command is about: a Models-tree node (model, version, tag-set, signature or
 * tensor), a file or folder URI (explorer, inspector), a path, or nothing — then the model of the
 * active editor, else a QuickPick of the models the Models view found.
 */
import { dirname } from 'node:path';
import * as vscode from 'vscode';
import { UsageError } from '../../core/errors';
import { modelLabel } from '../requests/core';
import { ModelNode, ModelsNode, SignatureNode, TensorNode, VersionNode, fileOf } from '../models/nodes';
import { activeModelFile, pickWorkspaceModel } from '../models/pick';
import type { ModelsApi } from '../models/registerModelsView';
import { modelPathOf } from './plan';

export interface ModelChoice {
  /** A model folder, TF Serving base folder (highest version), or model.json. */
  modelPath: string;
  /** A short name for messages. */
  label: string;
  /** The signature named by the argument (a signature or tensor node). */
  signature?: string;
}

const choice = (modelPath: string, signature?: string): ModelChoice =>
  signature === undefined ? { modelPath, label: modelLabel(modelPath) } : { modelPath, label: modelLabel(modelPath), signature };

/** The model a command argument names, or undefined when it names none. */
export function modelFromArg(arg: unknown): ModelChoice | undefined {
  if (arg instanceof ModelsNode) {
    if (arg instanceof ModelNode) return choice(arg.entry.dir);
    if (arg instanceof VersionNode) return choice(dirname(arg.version.file));
    if (arg instanceof SignatureNode) return choice(modelPathOf(arg.file), arg.signature.name);
    if (arg instanceof TensorNode) return choice(modelPathOf(arg.parentSignature.file), arg.parentSignature.signature.name);
    const file = fileOf(arg);
    return file ? choice(modelPathOf(file)) : undefined;
  }
  if (arg instanceof vscode.Uri) {
    if (arg.scheme !== 'file') throw new UsageError(`${arg.toString()} is not a file on this machine; the local runner reads models from disk.`);
    return choice(modelPathOf(arg.fsPath));
  }
  if (typeof arg === 'string' && arg) return choice(modelPathOf(arg));
  return undefined;
}

/** The model a command is about: its argument, the active editor's model, or one the user picks. */
export async function pickModel(arg: unknown, models: ModelsApi | undefined, title: string): Promise<ModelChoice> {
  const given = modelFromArg(arg);
  if (given) return given;
  const active = activeModelFile();
  if (active) return choice(modelPathOf(active));
  if (!models) throw new UsageError(`${title} needs a model.`, 'Run it from a model in the ServeLens Models view.');
  return choice((await pickWorkspaceModel(models, title)).dir);
}
