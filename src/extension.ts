import * as vscode from 'vscode';
import type { CloudApi } from './vscode/cloud/registerCloudViews';
import { registerCloudViews } from './vscode/cloud/registerCloudViews';
import { registerCommands } from './vscode/commands';
import { Commands, LOG_CHANNEL_NAME } from './vscode/constants';
import type { InspectorApi } from './vscode/inspector/registerInspector';
import { registerInspector } from './vscode/inspector/registerInspector';
import { createLogger } from './vscode/log';
import { ModelCache } from './vscode/models/modelCache';
import type { ModelsApi } from './vscode/models/registerModelsView';
import { registerModelsView } from './vscode/models/registerModelsView';
import { registerRequestFiles } from './vscode/requests/registerRequestFiles';
import type { ResultsViewApi } from './vscode/results/registerResultsView';
import { registerResultsView, unavailableResultsActions } from './vscode/results/registerResultsView';

/** What `activate` returns: a small surface the integration tests read. */
export interface ServeLensApi {
  readonly logChannelName: string;
  /** The Models tree (its provider, the models found, a scan signal). */
  readonly models: ModelsApi;
  /** What every open SavedModel inspector rendered. */
  readonly inspector: InspectorApi;
  /** The deployment trees and the cloud session behind them. */
  readonly cloud: CloudApi;
  /** The Results view of one Predict / Explain call (what it rendered, for the tests). */
  readonly results: ResultsViewApi;
}

export function activate(context: vscode.ExtensionContext): ServeLensApi {
  const { logger, channel } = createLogger();
  context.subscriptions.push(channel);
  logger.info('activate', `ServeLens ${context.extension.packageJSON.version as string} activated`);

  registerCommands(context.subscriptions, logger, {
    [Commands.logShow]: () => logger.show(),
  });

  // One reading of each model file, shared by the Models tree, the inspector and the commands.
  const models = new ModelCache();
  const modelsApi = registerModelsView(context, logger, models);
  const inspectorApi = registerInspector(context, logger, models);
  registerRequestFiles(context, logger);
  const cloudApi = registerCloudViews(context, logger);
  const results = registerResultsView(context, logger, unavailableResultsActions);

  return { logChannelName: LOG_CHANNEL_NAME, models: modelsApi, inspector: inspectorApi, cloud: cloudApi, results };
}

export function deactivate(): void {
  // Everything is owned by context.subscriptions and disposed by VS Code.
}
