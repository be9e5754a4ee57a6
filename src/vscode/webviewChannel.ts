/**
 * The message channel of one ServeLens webview (the inspector, the results view): messages from
 * the webview are checked with the protocol's guard (one that does not fit is dropped and logged
 * with its type), and nothing is posted to the webview before it says `ready`. The view's current
 * state is posted when it says `ready` — again each time it is rebuilt after being hidden (the
 * webviews are not retained) — and when the panel is shown again, since visibility can flicker
 * while editor groups change without the webview being rebuilt (then no second `ready` comes).
 */
import * as vscode from 'vscode';
import { describeError } from '../core/errors';
import type { Logger } from './log';

export interface ChannelOptions<ToView, FromView extends { type: string }> {
  /** The log component ("inspector", "results"). */
  component: string;
  logger: Logger;
  /** The protocol's guard for messages from the webview. */
  isMessage: (m: unknown) => m is FromView;
  /** Every checked message but `ready`. */
  onMessage: (m: FromView) => void;
  /** What the view shows now, as the message that draws it (undefined: nothing yet). */
  current: () => ToView | undefined;
}

export class WebviewChannel<ToView, FromView extends { type: string }> implements vscode.Disposable {
  #ready = false;
  readonly #subs: vscode.Disposable[];

  constructor(
    private readonly panel: vscode.WebviewPanel,
    private readonly opts: ChannelOptions<ToView, FromView>,
  ) {
    this.#subs = [
      panel.webview.onDidReceiveMessage((m: unknown) => this.#receive(m)),
      panel.onDidChangeViewState(() => {
        if (panel.visible) void this.postCurrent();
      }),
    ];
  }

  /** Posts to the webview once it is ready (before that, `ready` brings the current state). */
  async post(message: ToView): Promise<void> {
    if (!this.#ready) return;
    try {
      await this.panel.webview.postMessage(message);
    } catch (err) {
      this.opts.logger.warn(this.opts.component, `could not post to the webview: ${describeError(err)}`);
    }
  }

  /** Posts what the view shows now (after it changed, or to draw it again). */
  postCurrent(): Promise<void> {
    const m = this.opts.current();
    return m === undefined ? Promise.resolve() : this.post(m);
  }

  #receive(message: unknown): void {
    if (!this.opts.isMessage(message)) {
      const type = typeof message === 'object' && message !== null && typeof (message as { type?: unknown }).type === 'string' ? (message as { type: string }).type : typeof message;
      this.opts.logger.warn(this.opts.component, `dropped a "${type}" message from the webview that does not fit the protocol`);
      return;
    }
    if (message.type === 'ready') {
      this.#ready = true;
      void this.postCurrent();
      return;
    }
    this.opts.onMessage(message);
  }

  dispose(): void {
    this.#ready = false;
    for (const d of this.#subs.splice(0)) d.dispose();
  }
}
