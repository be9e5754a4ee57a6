/**
 * The local runner in the editor: the workers that run models (one per model path, started on
 * first use), Run Model Locally, the local model server and batch prediction over JSON Lines.
 * Everything is owned by `context.subscriptions`: workers and the server stop with the extension.
 *
 * The worker script is `runnerWorker.js` beside the bundle (dist/runnerWorker.js beside
 * dist/extension.js, with the tfjs wasm binaries; see src/core/runner/host.ts workerScript()).
 */
import * as vscode from 'vscode';
import { registerCommands, runCommand } from '../commands';
import { Commands } from '../constants';
import type { CloudApi } from '../cloud/registerCloudViews';
import type { Logger } from '../log';
import type { ModelsApi } from '../models/registerModelsView';
import type { LocalRunnerAccess } from '../predict/contract';
import type { RequestFilesApi } from '../requests/registerRequestFiles';
import { runBatchCommand } from './batch';
import { LocalRunners } from './localRunners';
import { LocalServerController } from './localServer';
import { pickModel } from './modelArgs';
import { runModelLocally, type SendBody } from './runLocally';

export const RunnerSettings = {
  timeoutSeconds: 'runner.timeoutSeconds',
  serverPort: 'runner.serverPort',
} as const;

export interface LocalRunnerDeps {
  requests: RequestFilesApi;
  /** The Models view, for the QuickPick of models when a command gets no model. */
  models?: ModelsApi;
  /** The cloud session, for Vertex AI batch jobs. */
  cloud?: CloudApi;
  /** Sends an example request as ▶ Predict does (the Predict controller, registered after the runner). */
  send: SendBody;
}

export type LocalRunnerApi = LocalRunnerAccess & {
  /** The local server while it runs. */
  server(): { url: string; name: string } | undefined;
};

function setting(key: string, fallback: number): number {
  const v = Number(vscode.workspace.getConfiguration('servelens').get<number>(key));
  return Number.isFinite(v) ? v : fallback;
}

export function registerLocalRunner(context: vscode.ExtensionContext, logger: Logger, deps: LocalRunnerDeps): LocalRunnerApi {
  const runners = new LocalRunners({
    timeoutMs: () => Math.max(1, setting(RunnerSettings.timeoutSeconds, 120)) * 1000,
    timeoutSetting: `servelens.${RunnerSettings.timeoutSeconds}`,
    log: (m) => logger.trace('runner', m),
  });
  const server = new LocalServerController(logger, () => {
    const port = Math.floor(setting(RunnerSettings.serverPort, 0));
    return port >= 0 && port <= 65535 ? port : 0;
  });
  context.subscriptions.push(runners, server);

  registerCommands(context.subscriptions, logger, {
    [Commands.modelRunLocally]: (arg?: unknown) =>
      runModelLocally(arg, { runners, send: deps.send, logger, ...(deps.models ? { models: deps.models } : {}) }),
    [Commands.localServerStart]: async (arg?: unknown) => {
      const model = await pickModel(arg, deps.models, 'Start Local Model Server');
      const started = await server.start(model);
      if (started) {
        void vscode.window.showInformationMessage(`ServeLens: serving ${started.name} at ${started.modelUrl}`, 'Copy URL').then((c) => {
          if (c === 'Copy URL') void vscode.env.clipboard.writeText(started.modelUrl);
        });
      }
      return started;
    },
    [Commands.localServerStop]: async () => {
      const stopped = await server.stop();
      if (!stopped) void vscode.window.showInformationMessage('ServeLens: no local model server is running.');
      return stopped;
    },
    [Commands.requestRunBatch]: (arg?: unknown) => runBatchCommand(arg, { requests: deps.requests, logger, ...(deps.cloud ? { cloud: deps.cloud } : {}) }),
  });
  // The status bar item's menu: internal, so it is not one of the contributed command ids.
  context.subscriptions.push(
    vscode.commands.registerCommand(Commands.localServerMenu, runCommand(logger, Commands.localServerMenu, () => server.menu())),
  );

  return {
    predict: runners.predict,
    signatures: (modelPath) => runners.signatures(modelPath),
    server: () => {
      const s = server.current();
      return s ? { url: s.url, name: s.name } : undefined;
    },
  };
}
