/**
 * The deployment trees (Vertex AI, AI Platform, TF Serving), the account/project status bar item
 * and the cloud commands. One CloudSession at a time, rebuilt when a cloud setting changes or on
 * "Refresh"; the trees read it through a getter so they always use the current one.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { UsageError } from '../../core/errors';
import { generateRequestText } from '../../core/request/generate';
import type { Signature } from '../../core/model/types';
import { registerCommands } from '../commands';
import { Commands, ContextKeys, Views } from '../constants';
import type { Logger } from '../log';
import { CloudNode, ErrorNode, LoadMoreNode, isPagedNode } from './nodes';
import { CloudTreeProvider, type CloudTreeKind } from './providers';
import { CloudSession, CloudSettings } from './session';
import { CloudStatusBar } from './statusBar';

export interface CloudApi {
  readonly providers: Readonly<Record<CloudTreeKind, CloudTreeProvider>>;
  /** The session the trees use now. */
  session(): CloudSession;
  /** Builds a new session (settings and environment read again) and refreshes every tree. */
  refresh(): Promise<void>;
  /** Fires after a new session replaced the old one (settings changed, Refresh). */
  readonly onDidRebuild: vscode.Event<void>;
}

const VIEW_OF: Record<CloudTreeKind, string> = {
  vertex: Views.vertex,
  aiplatform: Views.aiPlatform,
  tfserving: Views.tfServing,
};

/** A file name for a new request to `label`: `<label>[-N].request.json` in `dir`, not taken yet. */
async function freshRequestPath(dir: string, label: string): Promise<string> {
  const stem = label.replace(/[^A-Za-z0-9_.-]+/g, '_').replace(/^[._]+/, '') || 'request';
  const open = new Set(vscode.workspace.textDocuments.map((d) => d.uri.fsPath));
  for (let i = 1; ; i++) {
    const path = join(dir, `${stem}${i === 1 ? '' : `-${i}`}.request.json`);
    if (!open.has(path) && !(await stat(path).then(() => true, () => false))) return path;
  }
}

async function pickSignature(signatures: Signature[], what: string): Promise<Signature> {
  const usable = signatures.filter((s) => s.inputs.length > 0);
  if (!usable.length) throw new UsageError(`${what} has no signature that takes inputs.`);
  usable.sort((a, b) => Number(b.name === 'serving_default') - Number(a.name === 'serving_default') || a.name.localeCompare(b.name));
  if (usable.length === 1) return usable[0]!;
  const picked = await vscode.window.showQuickPick(
    usable.map((s) => ({ label: s.name, description: s.method, detail: s.inputs.map((t) => `${t.alias}: ${t.dtype}`).join(', '), s })),
    { title: `New request for ${what}`, placeHolder: 'Pick a signature' },
  );
  if (!picked) throw new vscode.CancellationError();
  return picked.s;
}

export function registerCloudViews(context: vscode.ExtensionContext, logger: Logger): CloudApi {
  const cacheDir = context.globalStorageUri.scheme === 'file' ? join(context.globalStorageUri.fsPath, 'artifacts') : undefined;
  let session = new CloudSession(logger, cacheDir ? { cacheDir } : {});
  const current = () => session;
  context.subscriptions.push({ dispose: () => session.dispose() });

  const providers = {
    vertex: new CloudTreeProvider('vertex', current, logger),
    aiplatform: new CloudTreeProvider('aiplatform', current, logger),
    tfserving: new CloudTreeProvider('tfserving', current, logger),
  } satisfies Record<CloudTreeKind, CloudTreeProvider>;
  const statusBar = new CloudStatusBar(current, logger);
  context.subscriptions.push(statusBar);

  for (const [kind, provider] of Object.entries(providers) as [CloudTreeKind, CloudTreeProvider][]) {
    const view = vscode.window.createTreeView(VIEW_OF[kind], { treeDataProvider: provider, showCollapseAll: true });
    context.subscriptions.push(provider, view);
    if (kind !== 'tfserving') {
      context.subscriptions.push(
        provider.onDidChangeSignedOut((out) => {
          void vscode.commands.executeCommand('setContext', ContextKeys.cloudSignedOut, out);
          statusBar.update();
        }),
      );
    }
  }

  const providerOf = (node: CloudNode): CloudTreeProvider => {
    let root = node;
    while (root.parent) root = root.parent;
    const kind: CloudTreeKind = root.id.startsWith('aiplatform/') ? 'aiplatform' : root.id.startsWith('tfserving/') ? 'tfserving' : 'vertex';
    return providers[kind];
  };

  const rebuilt = new vscode.EventEmitter<void>();
  context.subscriptions.push(rebuilt);
  const rebuild = async (): Promise<void> => {
    const old = session;
    session = new CloudSession(logger, cacheDir ? { cacheDir } : {});
    old.dispose();
    rebuilt.fire();
    for (const p of Object.values(providers)) p.refresh();
    statusBar.update();
  };

  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('servelens.cloud') || e.affectsConfiguration('servelens.tfServing')) {
        logger.info('cloud', 'cloud settings changed: signing in and listing again');
        void rebuild();
      }
    }),
  );

  const nodeArg = (arg: unknown, what: string): CloudNode => {
    if (arg instanceof CloudNode) return arg;
    throw new UsageError(`${what} needs an item of the Vertex AI, AI Platform or TF Serving view.`, 'Right-click the item in the ServeLens side bar.');
  };

  registerCommands(context.subscriptions, logger, {
    [Commands.cloudRefresh]: async (arg?: unknown) => {
      if (arg instanceof CloudNode) {
        providerOf(arg).refresh(arg);
        return;
      }
      await rebuild();
    },
    [Commands.cloudRetry]: (arg?: unknown) => {
      const node = nodeArg(arg, 'Try again');
      const provider = providerOf(node);
      if (node instanceof ErrorNode && node.parent) provider.refresh(node.parent);
      else provider.refresh();
    },
    [Commands.cloudLoadMore]: async (arg?: unknown) => {
      const node = nodeArg(arg, 'Load more');
      const owner = node instanceof LoadMoreNode ? node.parent : node;
      if (!owner || !isPagedNode(owner)) throw new UsageError('Load more needs a "Load more…" item.');
      try {
        await owner.loadMore();
      } finally {
        providerOf(owner).redraw(owner);
      }
    },
    [Commands.cloudCopyName]: async (arg?: unknown) => {
      const node = nodeArg(arg, 'Copy resource name');
      const name = node.resourceName();
      if (!name) throw new UsageError('This item has no resource name.');
      await vscode.env.clipboard.writeText(name);
      vscode.window.setStatusBarMessage(`ServeLens: copied ${name}`, 3000);
      return name;
    },
    [Commands.cloudOpenConsole]: async (arg?: unknown) => {
      const node = nodeArg(arg, 'Open in Cloud Console');
      const url = node.consoleUrl();
      if (!url) throw new UsageError('This item has no Cloud Console page.');
      await vscode.env.openExternal(vscode.Uri.parse(url));
      return url;
    },
    [Commands.cloudNewRequest]: async (arg?: unknown, signatureName?: unknown) => {
      const node = nodeArg(arg, 'New request for this target');
      const folder = vscode.workspace.workspaceFolders?.find((f) => f.uri.scheme === 'file');
      if (!folder) throw new UsageError('New requests are written into a workspace folder.', 'Open a folder first.');
      const signatures = await vscode.window.withProgress(
        { location: { viewId: VIEW_OF[providerOf(node).kind] }, title: 'Reading the signature' },
        () => node.signatures({ session }) ?? Promise.reject(new UsageError(`${node.targetLabel()} has no signature to build a request from.`, 'Pick a model version, deployed model or signature.')),
      );
      // A signature named by the caller (scripts, tests) is used as is; otherwise the user picks one.
      const named = typeof signatureName === 'string' ? signatures.find((s) => s.name === signatureName) : undefined;
      if (typeof signatureName === 'string' && !named) {
        throw new UsageError(`${node.targetLabel()} has no signature "${signatureName}".`, `Its signatures are: ${signatures.map((s) => s.name).join(', ')}.`);
      }
      const sig = named ?? (await pickSignature(signatures, node.targetLabel()));
      const text = generateRequestText(sig, { format: 'row' });
      const path = await freshRequestPath(folder.uri.fsPath, node.targetLabel());
      const target = node.target();
      if (target) await vscode.commands.executeCommand(Commands.requestBindTarget, vscode.Uri.file(path), target, sig.name === 'serving_default' ? undefined : sig.name);
      const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(path).with({ scheme: 'untitled' }));
      const edit = new vscode.WorkspaceEdit();
      edit.insert(doc.uri, new vscode.Position(0, 0), text);
      await vscode.workspace.applyEdit(edit);
      await vscode.window.showTextDocument(doc, { preview: false });
      if (!target) {
        void vscode.window.showInformationMessage(
          `ServeLens: ${node.targetLabel()} is not a prediction target by itself (deploy it to an endpoint); the request was not bound.`,
        );
      }
      return doc;
    },
    [Commands.cloudBindRequest]: async (arg?: unknown) => {
      const node = nodeArg(arg, 'Bind current request file to this target');
      const target = node.target();
      if (!target) throw new UsageError(`${node.targetLabel()} is not something a request is sent to.`, 'Bind to an endpoint, an AI Platform model or version, or a TF Serving model.');
      const doc = vscode.window.activeTextEditor?.document ?? vscode.window.visibleTextEditors[0]?.document;
      if (!doc || doc.uri.scheme !== 'file') throw new UsageError('No request file is open.', 'Open the request file in an editor, then run the command again.');
      return vscode.commands.executeCommand(Commands.requestBindTarget, doc.uri, target);
    },
    [Commands.cloudSelectProject]: () => statusBar.pick(),
    [Commands.cloudSignIn]: () => statusBar.signInHelp(),
  });

  logger.trace('cloud', `views registered (settings: ${Object.values(CloudSettings).join(', ')})`);
  return {
    providers,
    session: current,
    onDidRebuild: rebuilt.event,
    refresh: async () => {
      await rebuild();
    },
  };
}
