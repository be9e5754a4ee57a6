import { homedir } from 'node:os';
import { stat } from 'node:fs/promises';
import { basename, isAbsolute, join, normalize, sep } from 'node:path';
import * as vscode from 'vscode';
import { describeError } from '../../core/errors';
import { ContextKeys, Settings } from '../constants';
import { Disposable } from '../lifecycle';
import type { Logger } from '../log';
import type { ModelEntry } from './layout';
import { MODEL_FILE_GLOB, MODEL_FILE_NAMES, groupModelFiles, isTfjsModelJson, latest } from './layout';
import type { ModelCache } from './modelCache';
import type { ModelStatus, ModelsNode, NodeContext } from './nodes';
import { ModelNode, statusOf } from './nodes';

/** Events on model files are gathered this long before the workspace is searched again. */
const RESCAN_DEBOUNCE_MS = 400;
/** How many models are read at once in the background to decorate the tree with lint counts. */
const DECORATE_CONCURRENCY = 2;

/**
 * The Models tree: finds saved_model.pb, saved_model.pbtxt and TF.js model.json files in the
 * workspace (honouring `servelens.models.exclude` and `maxResults`), keeps them current with a
 * file-system watcher, and reads each model in the background for its lint counts.
 */
export class ModelsTreeProvider extends Disposable implements vscode.TreeDataProvider<ModelsNode>, NodeContext {
  private readonly _onDidChangeTreeData = this._register(new vscode.EventEmitter<ModelsNode | undefined>());
  readonly onDidChangeTreeData = this._onDidChangeTreeData.event;
  private readonly _onDidScan = this._register(new vscode.EventEmitter<readonly ModelEntry[]>());
  /** Fires after every completed scan of the workspace. */
  readonly onDidScan = this._onDidScan.event;

  private roots: ModelNode[] = [];
  private scanning: Promise<void> | undefined;
  private scanGeneration = 0;
  private scannedOnce = false;
  private firstScan: Promise<void>;
  private resolveFirstScan!: () => void;
  private rescanTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly statuses = new Map<string, ModelStatus>();
  private decorateGeneration = 0;
  /** Watchers of the `additionalFolders` (the workspace's own are covered by the glob watcher). */
  private extraWatchers: vscode.Disposable[] = [];
  private extraWatched = '';

  constructor(
    readonly cache: ModelCache,
    private readonly logger: Logger,
  ) {
    super();
    this.firstScan = new Promise((r) => (this.resolveFirstScan = r));
    this.watch(undefined, (d) => this._register(d));
    this._register({ dispose: () => this.extraWatchers.forEach((d) => d.dispose()) });
    this._register(vscode.workspace.onDidChangeWorkspaceFolders(() => this.scheduleScan()));
    this._register(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(`${Settings.section}.models`)) this.scheduleScan();
      }),
    );
    this._register({ dispose: () => this.rescanTimer !== undefined && clearTimeout(this.rescanTimer) });
    void this.scan();
  }

  // ------------------------------------------------------------ TreeDataProvider

  getTreeItem(node: ModelsNode): vscode.TreeItem {
    return node.treeItem();
  }

  async getChildren(node?: ModelsNode): Promise<ModelsNode[]> {
    if (node) return node.children();
    if (!this.scannedOnce) await this.firstScan;
    return this.roots;
  }

  getParent(node: ModelsNode): ModelsNode | undefined {
    return node.parent;
  }

  // ------------------------------------------------------------ NodeContext

  status(file: string): ModelStatus | undefined {
    return this.statuses.get(file);
  }

  describePath(path: string): string {
    const uri = vscode.Uri.file(path);
    const folder = vscode.workspace.getWorkspaceFolder(uri);
    if (!folder) return path;
    const rel = vscode.workspace.asRelativePath(uri, (vscode.workspace.workspaceFolders?.length ?? 0) > 1);
    return rel && rel !== path ? rel : folder.name;
  }

  // ------------------------------------------------------------ API

  /** The models found by the last scan. */
  models(): readonly ModelEntry[] {
    return this.roots.map((r) => r.entry);
  }

  /** Resolves once the first scan of the workspace is complete. */
  whenScanned(): Promise<void> {
    return this.firstScan;
  }

  /** Forgets every reading and searches the workspace again. */
  refresh(): Promise<void> {
    this.cache.invalidate();
    this.statuses.clear();
    return this.scan();
  }

  // ------------------------------------------------------------ scanning

  private scheduleScan(): void {
    if (this.rescanTimer !== undefined) clearTimeout(this.rescanTimer);
    this.rescanTimer = setTimeout(() => {
      this.rescanTimer = undefined;
      void this.scan();
    }, RESCAN_DEBOUNCE_MS);
  }

  /**
   * Two watchers per root: model files (created, changed, deleted), and folders coming and going
   * (a folder created or removed with its contents reports only the folder, not the files in it).
   */
  private watch(root: vscode.Uri | undefined, own: (d: vscode.Disposable) => void): void {
    const pattern = (glob: string) => (root ? new vscode.RelativePattern(root, glob) : glob);
    const files = vscode.workspace.createFileSystemWatcher(pattern(MODEL_FILE_GLOB));
    own(files);
    own(files.onDidCreate(() => this.scheduleScan()));
    own(
      files.onDidDelete((uri) => {
        this.cache.invalidate(uri.fsPath);
        this.scheduleScan();
      }),
    );
    own(files.onDidChange((uri) => this.fileChanged(uri)));

    const folders = vscode.workspace.createFileSystemWatcher(pattern('**/*'), false, true, false);
    own(folders);
    own(
      folders.onDidCreate((uri) => {
        if (isModelFileName(uri.fsPath)) return;
        void stat(uri.fsPath).then(
          (st) => st.isDirectory() && this.scheduleScan(),
          () => undefined,
        );
      }),
    );
    own(
      folders.onDidDelete((uri) => {
        const gone = uri.fsPath + sep;
        if (this.roots.some((r) => r.entry.versions.some((v) => v.file.startsWith(gone)))) this.scheduleScan();
      }),
    );
  }

  /** The `additionalFolders` setting: absolute folders outside the workspace folders. */
  private additionalFolders(): string[] {
    const raw = vscode.workspace.getConfiguration(`${Settings.section}.models`).get<unknown>('additionalFolders', []);
    if (!Array.isArray(raw)) return [];
    const out = new Set<string>();
    for (const item of raw) {
      if (typeof item !== 'string' || !item.trim()) continue;
      const p = item.trim().startsWith('~/') ? join(homedir(), item.trim().slice(2)) : item.trim();
      if (!isAbsolute(p)) {
        this.logger.warn('models', `servelens.models.additionalFolders: ignoring "${item}" (not an absolute path)`);
        continue;
      }
      if (vscode.workspace.getWorkspaceFolder(vscode.Uri.file(p))) continue; // searched already
      out.add(normalize(p));
    }
    return [...out];
  }

  private fileChanged(uri: vscode.Uri): void {
    this.cache.invalidate(uri.fsPath);
    this.statuses.delete(uri.fsPath);
    // The grouping may not change, but the signatures and lint counts may.
    this.scheduleScan();
  }

  /** Searches every workspace folder; concurrent calls share one search, and a newer one wins. */
  scan(): Promise<void> {
    const gen = ++this.scanGeneration;
    const run = this.doScan(gen).catch((err: unknown) => {
      this.logger.error('models', `scanning the workspace failed: ${describeError(err)}`, err);
    });
    this.scanning = run;
    return run.finally(() => {
      if (this.scanning === run) this.scanning = undefined;
    });
  }

  private async doScan(gen: number): Promise<void> {
    const started = Date.now();
    const files: string[] = [];
    const search = async (base: vscode.WorkspaceFolder | vscode.Uri, scope: vscode.Uri | undefined) => {
      const cfg = vscode.workspace.getConfiguration(`${Settings.section}.models`, scope);
      const exclude = (cfg.get<unknown[]>('exclude', []) ?? []).filter((g): g is string => typeof g === 'string' && g.length > 0);
      const max = Math.max(1, Math.floor(Number(cfg.get<number>('maxResults', 500)) || 500));
      const excludeGlob = exclude.length === 0 ? null : exclude.length === 1 ? exclude[0]! : `{${exclude.join(',')}}`;
      const found = await vscode.workspace.findFiles(new vscode.RelativePattern(base, MODEL_FILE_GLOB), excludeGlob, max);
      files.push(...(await filterTfjs(found.map((u) => u.fsPath))));
    };
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      if (folder.uri.scheme === 'file') await search(folder, folder.uri);
    }
    const extra = this.additionalFolders();
    for (const dir of extra) await search(vscode.Uri.file(dir), undefined);
    if (gen !== this.scanGeneration || this.isDisposed) return;
    if (extra.join('\n') !== this.extraWatched) {
      this.extraWatched = extra.join('\n');
      this.extraWatchers.forEach((d) => d.dispose());
      this.extraWatchers = [];
      for (const dir of extra) {
        this.watch(vscode.Uri.file(dir), (d) => this.extraWatchers.push(d));
      }
    }
    const entries = groupModelFiles(files);
    this.roots = entries.map((e) => new ModelNode(e, this));
    this.logger.info('models', `found ${entries.length} model(s) (${files.length} file(s)) in ${Date.now() - started} ms`);
    if (!this.scannedOnce) {
      this.scannedOnce = true;
      await vscode.commands.executeCommand('setContext', ContextKeys.modelsScanned, true);
      this.resolveFirstScan();
    }
    this._onDidChangeTreeData.fire(undefined);
    this._onDidScan.fire(entries);
    void this.decorate(this.roots);
  }

  /** Reads each model's served version in the background and redraws its node with the lint counts. */
  private async decorate(nodes: ModelNode[]): Promise<void> {
    const gen = ++this.decorateGeneration;
    const queue = nodes.filter((n) => !this.statuses.has(n.file));
    const worker = async () => {
      for (let n = queue.shift(); n; n = queue.shift()) {
        if (gen !== this.decorateGeneration || this.isDisposed) return;
        const file = latest(n.entry).file;
        try {
          this.statuses.set(file, statusOf(await this.cache.get(file, 'full')));
        } catch (err) {
          this.statuses.set(file, { kind: 'failed', message: describeError(err) });
        }
        if (gen === this.decorateGeneration && !this.isDisposed) this._onDidChangeTreeData.fire(n);
      }
    };
    await Promise.all(Array.from({ length: DECORATE_CONCURRENCY }, worker));
  }
}

/** Drops model.json files that are not TF.js models (read a few KB of each, a few at a time). */
async function filterTfjs(files: string[]): Promise<string[]> {
  const keep = new Array<boolean>(files.length).fill(true);
  const jsonIdx = files.map((f, i) => (basename(f) === 'model.json' ? i : -1)).filter((i) => i >= 0);
  let next = 0;
  const worker = async () => {
    while (next < jsonIdx.length) {
      const i = jsonIdx[next++]!;
      keep[i] = await isTfjsModelJson(files[i]!);
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  return files.filter((_, i) => keep[i]);
}

function isModelFileName(path: string): boolean {
  return (MODEL_FILE_NAMES as readonly string[]).includes(basename(path));
}
