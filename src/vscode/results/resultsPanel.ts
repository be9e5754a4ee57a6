/**
 * The Results view: one webview panel, reused for every call, opened beside the active editor
 * without taking the focus. It posts nothing until the webview says `ready` (again each time the
 * webview is shown: it is not retained), then the call shown. The webview keeps the call in its
 * own state, so after a reload the panel serializer hands the panel back with it.
 *
 * Every button reaches the host as an `action` message; each runs through `runAction`, which logs,
 * shows an error with "Show Log" and tells the webview, and never lets a failure go unnoticed.
 */
import { basename, dirname, isAbsolute, join } from 'node:path';
import * as vscode from 'vscode';
import { ServeLensError, UsageError, describeError } from '../../core/errors';
import { compare } from '../../core/predict/history';
import type { CompareResult, RenderedResults, ResultsAction, ResultsHostMessage, ResultsWebviewMessage } from '../../../webview/shared/results';
import { isResultsViewState, isResultsWebviewMessage } from '../../../webview/shared/results';
import { Commands, WebviewPanels } from '../constants';
import { webviewHtml, webviewOptions } from '../inspector/html';
import { Disposable } from '../lifecycle';
import type { Logger } from '../log';
import { WebviewChannel } from '../webviewChannel';
import type { CallRecord, ResultsActions } from '../predict/contract';
import { fromResultsRecord, toCompareResult, toResultsRecord } from './record';

const ACTION_NAMES: Record<ResultsAction, string> = {
  save: 'Save Response',
  copyCurl: 'Copy as curl',
  copyGcloud: 'Copy as gcloud',
  rerun: 'Re-run',
  compare: 'Compare with Previous',
};

function panelTitle(record: CallRecord | undefined): string {
  if (!record) return 'ServeLens Results';
  const op = record.entry.op === 'explain' ? 'Explain' : 'Predict';
  return `${record.entry.status === 'error' ? '✖ ' : ''}${op}: ${record.entry.target.label}`;
}

/** Where "Save Response…" proposes to write: beside the request file, named after it. */
function defaultSaveUri(record: CallRecord): vscode.Uri | undefined {
  const file = record.entry.file;
  const name = file ? `${basename(file).replace(/(\.request)?\.jsonl?$/i, '')}.response.json` : `response-${record.entry.id}.json`;
  if (file && isAbsolute(file)) return vscode.Uri.file(join(dirname(file), name));
  const folder = vscode.workspace.workspaceFolders?.[0];
  return folder ? vscode.Uri.joinPath(folder.uri, name) : undefined;
}

export class ResultsPanelController extends Disposable implements vscode.WebviewPanelSerializer {
  private panel: vscode.WebviewPanel | undefined;
  private panelDisposables: vscode.Disposable[] = [];
  private channel: WebviewChannel<ResultsHostMessage, ResultsWebviewMessage> | undefined;
  private record: CallRecord | undefined;
  private last: RenderedResults | undefined;
  private readonly rendered = this._register(new vscode.EventEmitter<RenderedResults>());
  readonly onDidRender = this.rendered.event;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly logger: Logger,
    private readonly actions: ResultsActions,
  ) {
    super();
  }

  override dispose(): void {
    this.detach();
    super.dispose();
  }

  current(): CallRecord | undefined {
    return this.record;
  }

  /** Whether a Results panel is open (VS Code has not told the extension of its closing yet). */
  get isOpen(): boolean {
    return this.panel !== undefined;
  }

  /** What the webview last said it shows (while the panel is open). */
  get snapshot(): RenderedResults | undefined {
    return this.last;
  }

  async show(record: CallRecord): Promise<void> {
    this.record = record;
    if (this.panel) {
      this.panel.reveal(this.panel.viewColumn, true);
    } else {
      const panel = vscode.window.createWebviewPanel(
        WebviewPanels.results,
        panelTitle(record),
        { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
        { ...webviewOptions(this.extensionUri), enableFindWidget: true, retainContextWhenHidden: false },
      );
      this.attach(panel);
    }
    this.panel!.title = panelTitle(record);
    await this.postShow();
  }

  /** A Results panel VS Code restores after a reload, with the state its webview saved. */
  async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown): Promise<void> {
    if (this.panel) {
      // Only one Results panel: a second restored one is closed.
      panel.dispose();
      return;
    }
    if (!this.record && isResultsViewState(state) && state.record) this.record = fromResultsRecord(state.record);
    this.attach(panel);
    panel.title = panelTitle(this.record);
  }

  private attach(panel: vscode.WebviewPanel): void {
    this.detach();
    this.panel = panel;
    const webview = panel.webview;
    webview.options = webviewOptions(this.extensionUri);
    this.channel = new WebviewChannel<ResultsHostMessage, ResultsWebviewMessage>(panel, {
      component: 'results',
      logger: this.logger,
      isMessage: isResultsWebviewMessage,
      onMessage: (m) => this.receive(m),
      current: () => (this.record ? { type: 'show', record: toResultsRecord(this.record) } : undefined),
    });
    this.panelDisposables.push(
      this.channel,
      panel.onDidDispose(() => {
        if (this.panel === panel) this.detach();
      }),
    );
    webview.html = webviewHtml(webview, this.extensionUri, 'results', 'ServeLens Results');
  }

  private detach(): void {
    for (const d of this.panelDisposables.splice(0)) d.dispose();
    this.panel = undefined;
    this.channel = undefined;
    this.last = undefined;
  }

  private post(message: ResultsHostMessage): Promise<void> {
    return this.channel?.post(message) ?? Promise.resolve();
  }

  private postShow(): Promise<void> {
    return this.channel?.postCurrent() ?? Promise.resolve();
  }

  private receive(message: ResultsWebviewMessage): void {
    switch (message.type) {
      case 'ready':
        return; // the channel answers it
      case 'rendered':
        this.last = message.snapshot;
        this.rendered.fire(message.snapshot);
        return;
      case 'action':
        void this.runAction(message.action, message.entryId);
        return;
    }
  }

  /** Runs one button's action: busy while it runs; errors logged, shown with "Show Log", and told to the view. */
  private async runAction(action: ResultsAction, entryId: string): Promise<void> {
    const record = this.record;
    const what = ACTION_NAMES[action];
    if (!record || record.entry.id !== entryId) {
      this.logger.warn('results', `${what}: the view asked for a call it no longer shows`);
      return;
    }
    this.logger.trace('results', `${what} (${record.entry.op} ${record.entry.id})`);
    await this.post({ type: 'busy', action, busy: true });
    try {
      await this.perform(action, record);
    } catch (err) {
      if (err instanceof vscode.CancellationError) {
        this.logger.info('results', `${what} cancelled`);
        return;
      }
      const text = describeError(err);
      this.logger.error('results', `${what} failed: ${text}`, ServeLensError.is(err) ? undefined : err);
      await this.post({ type: 'notice', text: `${what} failed: ${text}`, error: true });
      void vscode.window.showErrorMessage(`ServeLens: ${text}`, 'Show Log').then((choice) => {
        if (choice === 'Show Log') void vscode.commands.executeCommand(Commands.logShow);
      });
    } finally {
      await this.post({ type: 'busy', action, busy: false });
    }
  }

  private async perform(action: ResultsAction, record: CallRecord): Promise<void> {
    switch (action) {
      case 'save':
        return this.save(record);
      case 'copyCurl':
      case 'copyGcloud': {
        const which = action === 'copyCurl' ? 'curl' : 'gcloud';
        const command = record.commands?.[which];
        if (!command) throw new UsageError(`There is no ${which} command for this call.`);
        await vscode.env.clipboard.writeText(command);
        await this.post({ type: 'notice', text: `Copied the ${which} command (without the access token)` });
        return;
      }
      case 'rerun':
        return this.actions.rerun(record);
      case 'compare':
        return this.compareWithPrevious(record);
    }
  }

  private async save(record: CallRecord): Promise<void> {
    const body = record.response;
    if (body === undefined) throw new UsageError('This call has no response body to save.');
    const defaultUri = defaultSaveUri(record);
    const uri = await vscode.window.showSaveDialog({
      title: 'Save the response body',
      saveLabel: 'Save Response',
      filters: { JSON: ['json'], 'All files': ['*'] },
      ...(defaultUri ? { defaultUri } : {}),
    });
    if (!uri) return;
    // The exact bytes the service sent (as UTF-8 text): nothing re-serialized.
    await vscode.workspace.fs.writeFile(uri, Buffer.from(body, 'utf8'));
    this.logger.info('results', `saved the response of ${record.entry.id} to ${uri.scheme === 'file' ? uri.fsPath : uri.toString()}`);
    await this.post({ type: 'notice', text: `Saved the response to ${basename(uri.path)}` });
  }

  private async compareWithPrevious(record: CallRecord): Promise<void> {
    const result = await this.compareResult(record);
    await this.post({ type: 'compare', entryId: record.entry.id, result });
  }

  /** The previous call of the same file to the same target, compared with this one's response. */
  private async compareResult(record: CallRecord): Promise<CompareResult> {
    const none = (message: string): CompareResult => ({ kind: 'none', message });
    if (record.response === undefined) return none('This call has no response body to compare.');
    const previous = await this.actions.previous(record);
    if (!previous) return none('No earlier successful call of this request to the same target to compare with.');
    if (previous.response === undefined) return none(`The previous call (${previous.entry.time}) kept no response body.`);
    return toCompareResult(compare(previous.response, record.response), previous.entry);
  }
}
