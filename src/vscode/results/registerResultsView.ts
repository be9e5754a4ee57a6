/**
 * Registers the Results view (one Predict / Explain call in a webview panel) and its panel
 * serializer, so the panel survives a reload of the window. Everything is owned by
 * `context.subscriptions`.
 */
import * as vscode from 'vscode';
import type { RenderedResults } from '../../../webview/shared/results';
import { WebviewPanels } from '../constants';
import type { Logger } from '../log';
import type { ResultsActions, ResultsView } from '../predict/contract';
import { ResultsPanelController } from './resultsPanel';

/** The Results view as the extension's API shows it (the integration tests read the snapshot). */
export type ResultsViewApi = ResultsView & {
  /** What the webview last rendered, read back from its DOM; undefined while no panel is open. */
  snapshot(): RenderedResults | undefined;
  /** Fires after every render of the webview. */
  onDidRender: vscode.Event<RenderedResults>;
  /** Whether the panel is open. */
  isOpen(): boolean;
};

export function registerResultsView(context: vscode.ExtensionContext, logger: Logger, actions: ResultsActions): ResultsViewApi {
  const controller = new ResultsPanelController(context.extensionUri, logger, actions);
  context.subscriptions.push(controller, vscode.window.registerWebviewPanelSerializer(WebviewPanels.results, controller));
  return {
    show: (record) => controller.show(record),
    current: () => controller.current(),
    snapshot: () => controller.snapshot,
    onDidRender: controller.onDidRender,
    isOpen: () => controller.isOpen,
  };
}
