import * as vscode from 'vscode';
import { registerCommands } from '../commands';
import { Views } from '../constants';
import type { Logger } from '../log';
import { modelCommands } from './commands';
import type { ModelEntry } from './layout';
import type { ModelCache } from './modelCache';
import { ModelsTreeProvider } from './modelsProvider';
import type { ModelsNode } from './nodes';

/** What the Models view exposes through the extension's API (used by the integration tests). */
export interface ModelsApi {
  readonly treeDataProvider: vscode.TreeDataProvider<ModelsNode>;
  /** The models found by the last scan. */
  models(): readonly ModelEntry[];
  /** Resolves once the first scan of the workspace is complete. */
  whenScanned(): Promise<void>;
  /** Fires after every scan. */
  readonly onDidScan: vscode.Event<readonly ModelEntry[]>;
  /** Searches the workspace again (what the Refresh button does). */
  refresh(): Promise<void>;
}

/** Registers the Models tree and the model commands; everything is owned by `context.subscriptions`. */
export function registerModelsView(context: vscode.ExtensionContext, logger: Logger, cache: ModelCache): ModelsApi {
  const provider = new ModelsTreeProvider(cache, logger);
  context.subscriptions.push(
    provider,
    vscode.window.createTreeView(Views.models, { treeDataProvider: provider, showCollapseAll: true }),
  );
  registerCommands(context.subscriptions, logger, modelCommands({ provider, cache }));
  return {
    treeDataProvider: provider,
    models: () => provider.models(),
    whenScanned: () => provider.whenScanned(),
    onDidScan: provider.onDidScan,
    refresh: () => provider.refresh(),
  };
}
