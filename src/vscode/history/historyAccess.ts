/**
 * The call history of this workspace: one CallHistory under the workspace's storage folder
 * (`<storageUri>/history`), or the global storage folder when no folder is open. Its bounds come
 * from `servelens.history.maxEntries` / `servelens.history.maxMegabytes`; a change of either builds
 * a new store once the old one has finished what it was doing. Nothing is read at activation:
 * the store reads its index on the first call or when the History view lists it.
 */
import { join } from 'node:path';
import * as vscode from 'vscode';
import { describeError } from '../../core/errors';
import { CallHistory, type HistoryEntry, type NewEntry } from '../../core/predict/history';
import { Disposable } from '../lifecycle';
import type { Logger } from '../log';
import type { HistoryAccess } from '../predict/contract';
import { HistorySettings, historyLimits } from './format';

/** The folder the history lives in: per workspace when one is open, else global. */
export function historyDir(context: Pick<vscode.ExtensionContext, 'storageUri' | 'globalStorageUri'>): string {
  const base = context.storageUri?.scheme === 'file' ? context.storageUri : context.globalStorageUri;
  return join(base.fsPath, 'history');
}

class WorkspaceHistory extends Disposable implements HistoryAccess {
  #store: CallHistory;
  readonly #emitter = this._register(new vscode.EventEmitter<void>());
  readonly onDidChange = this.#emitter.event;

  constructor(
    private readonly dir: string,
    private readonly logger: Logger,
  ) {
    super();
    this.#store = new CallHistory(dir, historyLimits(vscode.workspace.getConfiguration('servelens')));
    this.logger.trace('history', `store at ${dir} (at most ${this.#store.maxEntries} calls, ${this.#store.maxBytes} bytes of bodies)`);
    this._register(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(`servelens.${HistorySettings.maxEntries}`) || e.affectsConfiguration(`servelens.${HistorySettings.maxMegabytes}`)) {
          void this.rebuild();
        }
      }),
    );
  }

  store(): CallHistory {
    return this.#store;
  }

  async add(entry: NewEntry): Promise<HistoryEntry> {
    const added = await this.#store.add(entry);
    this.#changed();
    return added;
  }

  async delete(id: string): Promise<boolean> {
    const deleted = await this.#store.delete(id);
    this.#changed();
    return deleted;
  }

  async clear(): Promise<void> {
    await this.#store.clear();
    this.#changed();
  }

  #changed(): void {
    if (!this.isDisposed) this.#emitter.fire();
  }

  /** A new store with the new bounds, once the old one's queued operations are done. */
  private async rebuild(): Promise<void> {
    const old = this.#store;
    await old.list().catch(() => undefined);
    if (this.isDisposed || this.#store !== old) return;
    try {
      this.#store = new CallHistory(this.dir, historyLimits(vscode.workspace.getConfiguration('servelens')));
    } catch (err) {
      this.logger.warn('history', `history settings ignored: ${describeError(err)}`);
      return;
    }
    this.logger.info('history', `bounds now ${this.#store.maxEntries} calls, ${this.#store.maxBytes} bytes of bodies (applied at the next call)`);
    this.#changed();
  }

}

/** The history store of this workspace, as the controller, the tree and the local runner share it. */
export function createHistoryAccess(context: vscode.ExtensionContext, logger: Logger): HistoryAccess & vscode.Disposable {
  return new WorkspaceHistory(historyDir(context), logger);
}
