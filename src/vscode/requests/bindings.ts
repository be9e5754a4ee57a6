/**
 * The bindings of each workspace folder (`.servelens.json` or `.vscode/servelens.json`), read
 * through the core and kept until the binding file changes on disk.
 */
import * as vscode from 'vscode';
import { Disposable } from '../lifecycle';
import { DIAGNOSTIC_SOURCE, toSeverity } from './convert';
import type { BoundTarget, LoadedBindings } from './core';
import { bindingForFile, loadWorkspaceBindings } from './core';
import { isNamedRequestFile } from './requestFiles';

/** Whether a file is a request file (by name or binding), what it is bound to, or why that could not be read. */
export interface BindingLookup {
  isRequest: boolean;
  target?: BoundTarget;
  /** The binding file could not be read or is invalid. */
  error?: unknown;
  /** The workspace folder whose binding file was consulted. */
  root?: string;
}

export const BINDING_DIAGNOSTICS = 'servelens-bindings';

export class BindingStore extends Disposable {
  private readonly loaded = new Map<string, Promise<LoadedBindings>>();
  private readonly problems = this._register(vscode.languages.createDiagnosticCollection(BINDING_DIAGNOSTICS));
  private readonly changed = this._register(new vscode.EventEmitter<void>());
  /** Fires when a binding file was created, changed or deleted, or the workspace folders changed. */
  readonly onDidChange = this.changed.event;

  constructor() {
    super();
    const watcher = this._register(
      vscode.workspace.createFileSystemWatcher('**/{.servelens.json,.vscode/servelens.json}'),
    );
    const onEvent = (uri: vscode.Uri) => {
      const folder = vscode.workspace.getWorkspaceFolder(uri);
      if (folder) {
        this.loaded.delete(folder.uri.fsPath);
        // Read it again now: its own problems are shown whether or not a request file is open.
        void this.bindings(folder.uri.fsPath).catch(() => undefined);
      } else {
        this.loaded.clear();
      }
      this.changed.fire();
    };
    this._register(watcher.onDidCreate(onEvent));
    this._register(watcher.onDidChange(onEvent));
    this._register(watcher.onDidDelete(onEvent));
    this._register(
      vscode.workspace.onDidChangeWorkspaceFolders(() => {
        this.loaded.clear();
        this.changed.fire();
      }),
    );
  }

  /** The bindings of one workspace folder (read once, then cached until its file changes). */
  bindings(root: string): Promise<LoadedBindings> {
    let p = this.loaded.get(root);
    if (!p) {
      p = loadWorkspaceBindings(root);
      this.loaded.set(root, p);
      p.then(
        (loaded) => this.publish(root, loaded),
        () => this.publish(root, undefined),
      );
    }
    return p;
  }

  /** The binding file's own problems (a bad glob, an unknown target), shown on that file. */
  private publish(root: string, loaded: LoadedBindings | undefined): void {
    if (this.isDisposed || (loaded && this.loaded.get(root) === undefined)) return;
    for (const [uri] of this.problems) {
      if (vscode.workspace.getWorkspaceFolder(uri)?.uri.fsPath === root) this.problems.delete(uri);
    }
    if (!loaded?.path || loaded.findings.length === 0) return;
    this.problems.set(
      vscode.Uri.file(loaded.path),
      loaded.findings.map((f) => {
        const d = new vscode.Diagnostic(
          new vscode.Range(f.line - 1, f.column - 1, f.endLine - 1, f.endColumn - 1),
          f.message,
          toSeverity(f.severity),
        );
        d.code = f.code;
        d.source = DIAGNOSTIC_SOURCE;
        return d;
      }),
    );
  }

  /** What `uri` is bound to. Files outside every workspace folder are never bound. */
  async lookup(uri: vscode.Uri): Promise<BindingLookup> {
    const folder = vscode.workspace.getWorkspaceFolder(uri);
    if (!folder || folder.uri.scheme !== 'file') return { isRequest: isNamedRequestFile(uri.fsPath) };
    const root = folder.uri.fsPath;
    try {
      const loaded = await this.bindings(root);
      return { root, ...bindingForFile(root, loaded, uri.fsPath) };
    } catch (error) {
      return { root, isRequest: isNamedRequestFile(uri.fsPath), error };
    }
  }

  /** Forgets every folder's bindings (the next lookup reads the files again). */
  reload(): void {
    this.loaded.clear();
    this.changed.fire();
  }
}
