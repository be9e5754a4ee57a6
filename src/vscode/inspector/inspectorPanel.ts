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

/**
 * One inspector webview. It posts nothing until the webview says `ready` (again after each time
 * the webview is hidden and shown: the webview is not retained), then posts the document's state
 * and every change of it. Messages from the webview are validated and turned into commands, so
 * the command wrapper logs and reports their errors.
 */
export class InspectorPanel extends Disposable {
  private ready = false;
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
    this._register(webview.onDidReceiveMessage((m: unknown) => this.receive(m)));
    this._register(document.onDidChange((s) => this.postState(s)));
    this._register(
      panel.onDidChangeViewState(() => {
        // A hidden webview is torn down and says `ready` again when shown, and then gets the state.
        // `ready` is not reset on hiding: visibility can flicker while editor groups change (other
        // editors closing) without the webview being torn down, and a webview that was never torn
        // down says nothing again; posting the state once more on showing covers both.
        if (panel.visible) this.postState(this.document.state);
      }),
    );
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
    if (!this.ready || this.isDisposed) return;
    void this.panel.webview.postMessage(message).then(undefined, (err: unknown) => {
      this.logger.warn('inspector', `could not post to the webview: ${String(err)}`);
    });
  }

  private postState(state: InspectorState): void {
    const file = this.document.file;
    switch (state.kind) {
      case 'loading':
        return this.post({ type: 'loading', file });
      case 'model':
        return this.post({ type: 'model', file, model: state.model });
      case 'error':
        return this.post({ type: 'error', file, error: state.error });
    }
  }

  private receive(message: unknown): void {
    if (!isWebviewMessage(message)) {
      this.logger.warn('inspector', 'dropped a message from the webview that does not fit the protocol');
      return;
    }
    void this.handle(message).then(undefined, (err: unknown) => {
      // The commands below report their own errors; this only keeps the promise from dangling.
      this.logger.trace('inspector', `${message.type} failed: ${String(err)}`);
    });
  }

  private async handle(message: WebviewMessage): Promise<void> {
    switch (message.type) {
      case 'ready':
        this.ready = true;
        this.postState(this.document.state);
        return;
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
