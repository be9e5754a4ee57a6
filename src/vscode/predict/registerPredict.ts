/**
 * Predict / Explain from request files: the CodeLenses, the target picker and the commands
 * (palette, editor title, CodeLens). Everything is owned by `context.subscriptions`.
 */
import * as vscode from 'vscode';
import { UsageError } from '../../core/errors';
import { registerCommands } from '../commands';
import { Commands } from '../constants';
import type { Logger } from '../log';
import { REQUEST_SELECTOR } from '../requests/registerRequestFiles';
import { PredictCodeLensProvider } from './codeLens';
import type { CallRecord, ResultsActions } from './contract';
import { PredictController, parseRunOptions, predictTargetOf, type PredictDeps } from './controller';
import { TargetSignatureCache } from './signatureCache';
import { pickTargetCommand } from './targetPicker';

export interface PredictApi extends ResultsActions {
  readonly controller: PredictController;
  readonly codeLens: PredictCodeLensProvider;
}

export function registerPredict(context: vscode.ExtensionContext, logger: Logger, deps: PredictDeps): PredictApi {
  // Each target's signatures are read once, for Predict and for validating request files bound to
  // a cloud or TF Serving target as they are typed.
  const targets = new TargetSignatureCache(deps.cloud, deps.requests.signatures);
  const controller = new PredictController({ logger, state: context.workspaceState, targets, ...deps });
  const codeLens = new PredictCodeLensProvider({
    requests: deps.requests,
    localModelFor: (t) => controller.localModelFor(t),
    // A cloud target's local copy is known once its signatures were read, or a model was found.
    onDidChange: (listener, thisArg, disposables) => {
      const a = targets.onDidChange(listener, thisArg, disposables);
      const b = deps.models?.onDidScan(() => listener.call(thisArg, undefined));
      return { dispose: () => (a.dispose(), b?.dispose()) };
    },
  });
  context.subscriptions.push(targets, codeLens, vscode.languages.registerCodeLensProvider(REQUEST_SELECTOR, codeLens));
  deps.requests.resolver.setRemote({ entry: (bound) => targets.entry(predictTargetOf(bound)), onDidChange: targets.onDidChange });

  const cursorLine = (uri: unknown): number | undefined => {
    const editor = vscode.window.activeTextEditor;
    if (!editor || (uri instanceof vscode.Uri && uri.toString() !== editor.document.uri.toString())) return undefined;
    return editor.selection.active.line;
  };

  registerCommands(context.subscriptions, logger, {
    [Commands.requestPredict]: (uri?: unknown, opts?: unknown) => controller.run(uri, 'predict', parseRunOptions(opts)),
    [Commands.requestExplain]: (uri?: unknown, opts?: unknown) => {
      const o = parseRunOptions(opts);
      return controller.run(uri, 'explain', o);
    },
    [Commands.requestPredictLocally]: (uri?: unknown, opts?: unknown) => controller.run(uri, 'predict', { ...parseRunOptions(opts), local: true }),
    [Commands.requestPredictLine]: (uri?: unknown, opts?: unknown) => {
      const o = parseRunOptions(opts);
      const line = o.line ?? cursorLine(uri);
      if (line === undefined) throw new UsageError('No line to predict.', 'Put the cursor on an instance line of a JSON Lines file, or click "Predict this line" above it.');
      return controller.run(uri, 'predict', { ...o, line });
    },
    [Commands.requestPickTarget]: pickTargetCommand({ logger, cloud: deps.cloud, state: context.workspaceState, requests: deps.requests, ...(deps.models ? { models: deps.models } : {}) }),
    [Commands.resultsShowLast]: async () => {
      const current = deps.results().current();
      if (current) return deps.results().show(current);
      const last = (await deps.history.store().list())[0];
      if (!last) throw new UsageError('No Predict or Explain call yet.', 'Click ▶ Predict above a request file first.');
      const stored = await deps.history.store().get(last.id);
      if (!stored) throw new UsageError('The last call is no longer in the history.', 'Send the request again with ▶ Predict.');
      const record: CallRecord = { entry: stored.entry };
      if (stored.request !== undefined) record.request = stored.request;
      if (stored.response !== undefined) record.response = stored.response;
      return deps.results().show(record);
    },
  });

  return {
    controller,
    codeLens,
    rerun: (record: CallRecord) => controller.rerun(record),
    previous: (record: CallRecord) => controller.previous(record),
  };
}
