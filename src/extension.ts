import * as vscode from 'vscode';
import type { CloudApi } from './vscode/cloud/registerCloudViews';
import { registerCloudViews } from './vscode/cloud/registerCloudViews';
import { registerCommands } from './vscode/commands';
import { Commands, LOG_CHANNEL_NAME } from './vscode/constants';
import { createHistoryAccess } from './vscode/history/historyAccess';
import type { HistoryViewApi } from './vscode/history/historyView';
import { registerHistoryView } from './vscode/history/historyView';
import type { InspectorApi } from './vscode/inspector/registerInspector';
import { registerInspector } from './vscode/inspector/registerInspector';
import { createLogger } from './vscode/log';
import { ModelCache } from './vscode/models/modelCache';
import type { ModelsApi } from './vscode/models/registerModelsView';
import { registerModelsView } from './vscode/models/registerModelsView';
import { registerRequestFiles } from './vscode/requests/registerRequestFiles';
import type { ResultsViewApi } from './vscode/results/registerResultsView';
import { registerResultsView } from './vscode/results/registerResultsView';
import type { PredictApi } from './vscode/predict/registerPredict';
import { registerPredict } from './vscode/predict/registerPredict';
import type { CallRecord, HistoryAccess } from './vscode/predict/contract';
import type { LocalRunnerApi } from './vscode/runner/registerLocalRunner';
import { registerLocalRunner } from './vscode/runner/registerLocalRunner';

/** What `activate` returns: a small surface the integration tests read. */
export interface ServeLensApi {
  readonly logChannelName: string;
  /** The folder VS Code writes this extension's log channel to (tests read it back). */
  readonly logUri: vscode.Uri;
  /** The Models tree (its provider, the models found, a scan signal). */
  readonly models: ModelsApi;
  /** What every open SavedModel inspector rendered. */
  readonly inspector: InspectorApi;
  /** The deployment trees and the cloud session behind them. */
  readonly cloud: CloudApi;
  /** The Results view of one Predict / Explain call (what it rendered, for the tests). */
  readonly results: ResultsViewApi;
  /** The call history of this workspace. */
  readonly history: HistoryAccess;
  /** The History tree. */
  readonly historyView: HistoryViewApi;
  /** The local runner: the LocalPredict of local targets, signatures, the local server. */
  readonly runner: LocalRunnerApi;
  /** Predict / Explain from request files: the controller and the CodeLens provider. */
  readonly predict: PredictApi;
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
  const requests = registerRequestFiles(context, logger);
  const cloudApi = registerCloudViews(context, logger);
  // Re-run and Compare in the results view and the History view go to the Predict controller,
  // registered last because it uses them all.
  const late: { predict?: PredictApi } = {};
  const actions = {
    rerun: (record: CallRecord) => late.predict!.rerun(record),
    previous: (record: CallRecord) => late.predict!.previous(record),
  };
  const results = registerResultsView(context, logger, actions);
  const history = createHistoryAccess(context, logger);
  context.subscriptions.push(history);
  const runner = registerLocalRunner(context, logger, {
    requests,
    models: modelsApi,
    cloud: cloudApi,
    send: (target, body, op, opts) => late.predict!.controller.sendBody(target, body, op, opts),
  });
  const historyView = registerHistoryView(context, logger, { history, results: () => results, rerun: (record) => actions.rerun(record) });
  const predict = (late.predict = registerPredict(context, logger, { requests, cloud: cloudApi, history, results: () => results, runner: () => runner, models: modelsApi }));

  return { logChannelName: LOG_CHANNEL_NAME, logUri: context.logUri, models: modelsApi, inspector: inspectorApi, cloud: cloudApi, results, history, historyView, runner, predict };
}

export function deactivate(): void {
  // Everything is owned by context.subscriptions and disposed by VS Code.
}
