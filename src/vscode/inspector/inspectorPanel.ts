import { join } from 'node:path';
import * as vscode from 'vscode';
import type { HostMessage, RenderedSnapshot, WebviewMessage } from '../../../webview/shared/protocol';
import { isWebviewMessage } from '../../../webview/shared/protocol';
import { Commands } from '../constants';
import { Disposable } from '../lifecycle';
import type { Logger } from '../log';
import { modelFileIn } from '../models/layout';
import type { InspectorDocument, InspectorState } from './inspectorDocument';
import { inspectorHtml, webviewOptions } from './html';
import { WebviewChannel } from '../webviewChannel';

/**
 * One inspector webview. Its channel (WebviewChannel) posts the document's state when the webview
 * is ready or shown again, and every change of it. Messages from the webview are validated and
 * turned into commands, so the command wrapper logs and reports their errors.
 */
export class InspectorPanel extends Disposable {
  private readonly channel: WebviewChannel<HostMessage, WebviewMessage>;
  private _snapshot: RenderedSnapshot | undefined;

  constructor(
    private readonly document: InspectorDocument,
    readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    private readonly logger: Logger,
    private readonly onRendered: (panel: InspectorPanel, snapshot: RenderedSnapshot) => void,
    private readonly owner: Set<InspectorPanel>,
  ) {
    super();
    owner.add(this);
    const webview = panel.webview;
    webview.options = webviewOptions(extensionUri);
    this.channel = this._register(
      new WebviewChannel<HostMessage, WebviewMessage>(panel, {
        component: 'inspector',
        logger,
        isMessage: isWebviewMessage,
        onMessage: (m) => this.receive(m),
        current: () => this.stateMessage(this.document.state),
      }),
    );
    this._register(document.onDidChange(() => void this.channel.postCurrent()));
    this._register(panel.onDidDispose(() => this.dispose()));
    webview.html = inspectorHtml(webview, extensionUri, `Inspector: ${document.file}`);
  }

  override dispose(): void {
    this.owner.delete(this);
    super.dispose();
  }

  get uri(): vscode.Uri {
    return this.document.uri;
  }

  /** What the webview last said it shows. */
  get snapshot(): RenderedSnapshot | undefined {
    return this._snapshot;
  }

  private post(message: HostMessage): void {
    if (!this.isDisposed) void this.channel.post(message);
  }

  private stateMessage(state: InspectorState): HostMessage {
    const file = this.document.file;
    switch (state.kind) {
      case 'loading':
        return { type: 'loading', file };
      case 'model':
        return { type: 'model', file, model: state.model };
      case 'error':
        return { type: 'error', file, error: state.error };
    }
  }

  private receive(message: WebviewMessage): void {
    void this.handle(message).then(undefined, (err: unknown) => {
      // The commands below report their own errors; this only keeps the promise from dangling.
      this.logger.trace('inspector', `${message.type} failed: ${String(err)}`);
    });
  }

  private async handle(message: WebviewMessage): Promise<void> {
    switch (message.type) {
      case 'ready':
        return; // the channel answers it
      case 'rendered':
        this._snapshot = message.snapshot;
        this.onRendered(this, message.snapshot);
        return;
      case 'reload':
        await this.document.reload();
        return;
      case 'copySignature': {
        const tags = this.tagsOf(message.metaGraph);
        await vscode.commands.executeCommand(Commands.signatureCopyJson, this.document.file, message.signature, tags);
        this.post({ type: 'notice', text: `Copied signature "${message.signature}" as JSON` });
        return;
      }
      case 'newRequest':
        await vscode.commands.executeCommand(
          Commands.requestNewFromSignature,
          this.document.file,
          message.signature,
          this.tagsOf(message.metaGraph),
        );
        return;
      case 'openVersion': {
        const state = this.document.state;
        if (state.kind !== 'model' || !state.model.versions.includes(message.version)) return;
        const base = join(this.document.file, '..', '..');
        const file = await modelFileIn(join(base, message.version));
        if (!file) {
          this.post({ type: 'notice', text: `Version ${message.version} holds no model file any more` });
          return;
        }
        await vscode.commands.executeCommand(Commands.modelInspect, vscode.Uri.file(file));
        return;
      }
    }
  }

  private tagsOf(metaGraph: number): string[] | undefined {
    const state = this.document.state;
    return state.kind === 'model' ? state.model.summary.metaGraphs[metaGraph]?.tags : undefined;
  }
}
