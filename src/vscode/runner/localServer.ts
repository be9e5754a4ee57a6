/**
 * The local model server in the extension host (`servelens serve`'s server): TF Serving's REST API
 * and Vertex-style routes for one model on 127.0.0.1, port `servelens.runner.serverPort` (0: any
 * free port). One server at a time: starting another asks to replace it. While it runs, a status
 * bar item "$(server-process) <name> :<port>" shows it (tooltip: the URLs; click: Copy URL / Stop)
 * and the context key `servelens.localServer.running` is true. Stopped on dispose.
 */
import * as vscode from 'vscode';
import { UsageError } from '../../core/errors';
import { startLocalServer, type LocalServer } from '../../core/runner/server';
import { Commands, ContextKeys } from '../constants';
import { Disposable } from '../lifecycle';
import type { Logger } from '../log';
import type { ModelChoice } from './modelArgs';

/** The status bar item's command (internal: not in package.json, not in the palette). */

export interface RunningServer {
  url: string;
  name: string;
  port: number;
  model: string;
  /** `${url}/v1/models/${name}`: TF Serving's model URL (append `:predict`). */
  modelUrl: string;
}

export class LocalServerController extends Disposable {
  #server?: { server: LocalServer; info: RunningServer };
  #starting?: Promise<RunningServer>;
  readonly #item: vscode.StatusBarItem;

  constructor(
    private readonly logger: Logger,
    private readonly port: () => number,
  ) {
    super();
    this.#item = this._register(vscode.window.createStatusBarItem('servelens.localServer', vscode.StatusBarAlignment.Left, 50));
    this.#item.name = 'ServeLens Local Server';
    this.#item.command = Commands.localServerMenu;
    this._register({ dispose: () => void this.#close('the extension is shutting down') });
  }

  current(): RunningServer | undefined {
    return this.#server ? { ...this.#server.info } : undefined;
  }

  /** Starts a server for `model` (asking first when one runs). Resolves with it, or undefined when the user kept the old one. */
  async start(model: ModelChoice): Promise<RunningServer | undefined> {
    if (this.#starting) await this.#starting.catch(() => undefined);
    const running = this.#server?.info;
    if (running) {
      const replace = await vscode.window.showWarningMessage(
        `A local server already serves ${running.name} at ${running.url}. Replace it with ${model.label}?`,
        { modal: true, detail: 'Requests in flight on the running server are cut off.' },
        'Replace',
      );
      if (replace !== 'Replace') return undefined;
      await this.#close(`replaced by ${model.modelPath}`);
    }
    const port = this.port();
    this.#starting = (async () => {
      let server: LocalServer;
      try {
        server = await startLocalServer({ model: model.modelPath, port });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
          throw new UsageError(`Port ${port} on 127.0.0.1 is in use.`, 'Stop what uses it, or change servelens.runner.serverPort (0 picks a free port).');
        }
        throw err;
      }
      const info: RunningServer = { url: server.url, name: server.name, port: server.port, model: model.modelPath, modelUrl: `${server.url}/v1/models/${server.name}` };
      if (this.isDisposed) {
        await server.close();
        throw new UsageError('The extension is shutting down.');
      }
      this.#server = { server, info };
      this.#show(info, server.versions);
      this.logger.info('runner', `local server for ${model.modelPath} at ${info.modelUrl} (versions ${server.versions.join(', ')})`);
      await vscode.commands.executeCommand('setContext', ContextKeys.localServerRunning, true);
      return info;
    })();
    try {
      return await this.#starting;
    } finally {
      this.#starting = undefined;
    }
  }

  /** Stops the server; false when none ran. */
  async stop(): Promise<boolean> {
    if (this.#starting) await this.#starting.catch(() => undefined);
    return this.#close('stopped');
  }

  /** What clicking the status bar item offers: Copy URL, Stop. */
  async menu(): Promise<void> {
    const info = this.#server?.info;
    if (!info) return;
    const picked = await vscode.window.showQuickPick(
      [
        { label: '$(copy) Copy URL', detail: info.modelUrl, action: 'copy' as const },
        { label: '$(debug-stop) Stop', detail: `Stop serving ${info.model}`, action: 'stop' as const },
      ],
      { title: `ServeLens local server: ${info.name} on port ${info.port}` },
    );
    if (picked?.action === 'copy') {
      await vscode.env.clipboard.writeText(info.modelUrl);
      vscode.window.setStatusBarMessage(`ServeLens: copied ${info.modelUrl}`, 3000);
    } else if (picked?.action === 'stop') {
      await this.stop();
    }
  }

  #show(info: RunningServer, versions: string[]): void {
    this.#item.text = `$(server-process) ${info.name} :${info.port}`;
    const md = new vscode.MarkdownString(
      `**ServeLens local server** — \`${info.model}\`\n\n` +
        `TF Serving REST: \`${info.modelUrl}\` (\`:predict\`, \`:classify\`, \`:regress\`, \`/metadata\`), versions ${versions.join(', ')}\n\n` +
        `Vertex-style: \`${info.url}/v1/projects/-/locations/-/endpoints/-:predict\`\n\n` +
        'Click to copy the URL or stop the server.',
    );
    this.#item.tooltip = md;
    this.#item.accessibilityInformation = { label: `ServeLens local server ${info.name} on port ${info.port}` };
    this.#item.show();
  }

  async #close(why: string): Promise<boolean> {
    const s = this.#server;
    if (!s) return false;
    this.#server = undefined;
    if (!this.isDisposed) {
      this.#item.hide();
      void vscode.commands.executeCommand('setContext', ContextKeys.localServerRunning, false);
    }
    this.logger.info('runner', `local server at ${s.info.url} ${why}`);
    await s.server.close();
    return true;
  }
}
