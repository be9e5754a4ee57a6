/**
 * The History view (`servelens.history`): one node per Predict / Explain call, newest first,
 * read from the CallHistory of this workspace. Clicking a call shows it in the results view with
 * the bodies the history kept; the context menu re-runs or deletes it; the title bar refreshes or
 * clears the history (after a modal confirmation).
 *
 * Node kinds and their `contextValue`s (package.json menus match `viewItem =~ /^servelens\.history\.call/`):
 *   servelens.history.call.ok / servelens.history.call.error   a call that succeeded / failed
 *   servelens.history.error                                     the history could not be read
 *
 * getChildren only awaits the store's list() (async, no blocking I/O) and never shows a dialog: a
 * failure to read becomes an error node.
 */
import * as vscode from 'vscode';
import { UsageError, describeError } from '../../core/errors';
import type { HistoryEntry } from '../../core/predict/history';
import { registerCommands } from '../commands';
import { Commands, ContextKeys, Views } from '../constants';
import { Disposable } from '../lifecycle';
import type { Logger } from '../log';
import type { CallRecord, HistoryAccess, ResultsView } from '../predict/contract';
import { callDescription, callLabel, callTooltip } from './format';

export const HistoryNodeKinds = {
  callOk: 'servelens.history.call.ok',
  callError: 'servelens.history.call.error',
  error: 'servelens.history.error',
} as const;

export abstract class HistoryNode {
  abstract readonly contextValue: string;
  abstract treeItem(now: number): vscode.TreeItem;
}

/** One call. */
export class CallNode extends HistoryNode {
  readonly contextValue: string;
  constructor(readonly entry: HistoryEntry) {
    super();
    this.contextValue = entry.status === 'ok' ? HistoryNodeKinds.callOk : HistoryNodeKinds.callError;
  }
  treeItem(now: number): vscode.TreeItem {
    const e = this.entry;
    const item = new vscode.TreeItem(callLabel(e), vscode.TreeItemCollapsibleState.None);
    item.id = `call:${e.id}`;
    item.contextValue = this.contextValue;
    item.description = callDescription(e, now);
    item.iconPath =
      e.status === 'ok'
        ? new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed'))
        : new vscode.ThemeIcon('error', new vscode.ThemeColor('problemsErrorIcon.foreground'));
    item.tooltip = new vscode.MarkdownString(callTooltip(e));
    item.command = { command: Commands.historyOpen, title: 'Open Call', arguments: [this] };
    item.accessibilityInformation = { label: `${callLabel(e)}, ${e.status === 'ok' ? 'succeeded' : 'failed'}, ${callDescription(e, now)}` };
    return item;
  }
}

/** The history could not be read (the message is the label; the log has the details). */
export class HistoryErrorNode extends HistoryNode {
  readonly contextValue = HistoryNodeKinds.error;
  constructor(readonly error: unknown) {
    super();
  }
  treeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(`Cannot read the history: ${describeError(this.error)}`, vscode.TreeItemCollapsibleState.None);
    item.id = 'history-error';
    item.contextValue = this.contextValue;
    item.iconPath = new vscode.ThemeIcon('error', new vscode.ThemeColor('problemsErrorIcon.foreground'));
    item.tooltip = describeError(this.error);
    return item;
  }
}

export class HistoryTreeProvider extends Disposable implements vscode.TreeDataProvider<HistoryNode> {
  readonly #changed = this._register(new vscode.EventEmitter<HistoryNode | undefined>());
  readonly onDidChangeTreeData = this.#changed.event;

  constructor(
    private readonly history: HistoryAccess,
    private readonly logger: Logger,
  ) {
    super();
    this._register(history.onDidChange(() => this.refresh()));
  }

  refresh(): void {
    this.#changed.fire(undefined);
  }

  /**
   * The context key behind the title's "Clear History": set from what the view lists (the title is
   * shown only with the view, and the view lists the store again after every change).
   */
  #notEmpty: boolean | undefined;
  #setNotEmpty(notEmpty: boolean): void {
    if (notEmpty === this.#notEmpty) return;
    this.#notEmpty = notEmpty;
    void vscode.commands.executeCommand('setContext', ContextKeys.historyNotEmpty, notEmpty);
  }

  getTreeItem(node: HistoryNode): vscode.TreeItem {
    return node.treeItem(Date.now());
  }

  async getChildren(node?: HistoryNode): Promise<HistoryNode[]> {
    if (node) return [];
    try {
      // Newest first, as list() gives them. No entries: [] lets the view's welcome text show.
      const entries = await this.history.store().list();
      this.#setNotEmpty(entries.length > 0);
      return entries.map((e) => new CallNode(e));
    } catch (err) {
      this.logger.error('history', `cannot read the history: ${describeError(err)}`, err);
      return [new HistoryErrorNode(err)];
    }
  }
}

export interface HistoryViewDeps {
  history: HistoryAccess;
  /** The results view (a getter: it may be registered after the history). */
  results: () => ResultsView;
  /** Sends the call's request to its target again (the Predict controller). */
  rerun(record: CallRecord): Promise<void>;
}

/** The History view as the extension's API gives it (the tests read its provider). */
export interface HistoryViewApi {
  readonly treeDataProvider: HistoryTreeProvider;
}

/** The entry id a command argument names: a tree node, a CallRecord, or the id itself. */
function idOf(arg: unknown, what: string): string {
  if (arg instanceof CallNode) return arg.entry.id;
  if (typeof arg === 'string' && arg) return arg;
  const entry = (arg as Partial<CallRecord> | undefined)?.entry;
  if (entry && typeof entry.id === 'string') return entry.id;
  throw new UsageError(`${what} needs a call of the History view.`, 'Right-click the call in the ServeLens History view.');
}

/** From the palette (no argument): the call to act on, picked from the history, newest first. */
async function pickCall(history: HistoryAccess, what: string): Promise<string> {
  const entries = await history.store().list();
  if (!entries.length) throw new UsageError('The history is empty.', 'Click ▶ Predict above a request file first.');
  const now = Date.now();
  const picked = await vscode.window.showQuickPick(
    entries.map((e) => ({ label: `${e.status === 'ok' ? '$(pass)' : '$(error)'} ${callLabel(e)}`, description: callDescription(e, now), detail: e.file ? vscode.workspace.asRelativePath(e.file) : undefined, id: e.id })),
    { title: what, placeHolder: 'Pick a call', matchOnDescription: true, matchOnDetail: true },
  );
  if (!picked) throw new vscode.CancellationError();
  return picked.id;
}

/** Registers the History tree and its commands; everything is owned by `context.subscriptions`. */
export function registerHistoryView(context: vscode.ExtensionContext, logger: Logger, deps: HistoryViewDeps): HistoryViewApi {
  const provider = new HistoryTreeProvider(deps.history, logger);
  const view = vscode.window.createTreeView(Views.history, { treeDataProvider: provider });
  context.subscriptions.push(provider, view);

  // "5 min ago" goes stale: redraw every minute while the view is visible.
  let timer: NodeJS.Timeout | undefined;
  const tick = (visible: boolean) => {
    if (visible && !timer) timer = setInterval(() => provider.refresh(), 60_000);
    if (!visible && timer) {
      clearInterval(timer);
      timer = undefined;
    }
  };
  tick(view.visible);
  context.subscriptions.push(
    view.onDidChangeVisibility((e) => {
      if (e.visible) provider.refresh();
      tick(e.visible);
    }),
    { dispose: () => tick(false) },
  );

  /** The call with its stored bodies, as the results view shows it. */
  const load = async (arg: unknown, what: string): Promise<CallRecord> => {
    const id = arg === undefined ? await pickCall(deps.history, what) : idOf(arg, what);
    const stored = await deps.history.store().get(id);
    if (!stored) {
      provider.refresh();
      throw new UsageError('This call is no longer in the history.', 'It was deleted or evicted by the history bounds (servelens.history.maxEntries, servelens.history.maxMegabytes).');
    }
    const record: CallRecord = { entry: stored.entry };
    if (stored.request !== undefined) record.request = stored.request;
    if (stored.response !== undefined) record.response = stored.response;
    return record;
  };

  registerCommands(context.subscriptions, logger, {
    [Commands.historyOpen]: async (arg?: unknown) => {
      const record = await load(arg, 'Open Call');
      await deps.results().show(record);
      return record;
    },
    [Commands.historyRerun]: async (arg?: unknown) => {
      const record = await load(arg, 'Re-run Call');
      if (record.request === undefined) {
        throw new UsageError('The request body of this call was not kept (it was larger than servelens.history.maxMegabytes).', 'Run the request file again instead.');
      }
      await deps.rerun(record);
    },
    [Commands.historyDelete]: async (arg?: unknown) => {
      const id = arg === undefined ? await pickCall(deps.history, 'Delete Call') : idOf(arg, 'Delete Call');
      const deleted = await deps.history.delete(id);
      return deleted;
    },
    [Commands.historyClear]: async () => {
      const n = (await deps.history.store().list()).length;
      if (n === 0) {
        void vscode.window.showInformationMessage('ServeLens: the history is already empty.');
        return false;
      }
      const choice = await vscode.window.showWarningMessage(
        `Clear the history of ${n} call${n === 1 ? '' : 's'}?`,
        { modal: true, detail: 'Their request and response bodies are deleted too. This cannot be undone.' },
        'Clear History',
      );
      if (choice !== 'Clear History') return false;
      await deps.history.clear();
      logger.info('history', `cleared ${n} call(s)`);
      return true;
    },
    [Commands.historyRefresh]: () => provider.refresh(),
  });

  return { treeDataProvider: provider };
}
