import { basename } from 'node:path';
import * as vscode from 'vscode';
import { describeError } from '../../core/errors';
import type { InspectorError, InspectorModel } from '../../../webview/shared/protocol';
import { Disposable } from '../lifecycle';
import type { Logger } from '../log';
import { siblingVersions } from '../models/layout';
import type { ModelCache } from '../models/modelCache';
import { toInspectorError, toInspectorModel } from './view';

export type InspectorState =
  | { kind: 'loading' }
  | { kind: 'model'; model: InspectorModel }
  | { kind: 'error'; error: InspectorError };

/** How long a burst of file-system events is gathered before the model is read again. */
const RELOAD_DEBOUNCE_MS = 250;

/**
 * One model file opened in the inspector (shared by every panel showing it). It reads the model
 * off the UI thread's way (all async), keeps the latest result, and reads again when the file
 * changes on disk.
 */
export class InspectorDocument extends Disposable implements vscode.CustomDocument {
  private _state: InspectorState = { kind: 'loading' };
  private generation = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly _onDidChange = this._register(new vscode.EventEmitter<InspectorState>());
  readonly onDidChange = this._onDidChange.event;

  constructor(
    readonly uri: vscode.Uri,
    private readonly cache: ModelCache,
    private readonly logger: Logger,
  ) {
    super();
    const watcher = this._register(
      vscode.workspace.createFileSystemWatcher(
        new vscode.RelativePattern(vscode.Uri.joinPath(uri, '..'), basename(uri.fsPath)),
      ),
    );
    const changed = () => this.scheduleReload();
    this._register(watcher.onDidChange(changed));
    this._register(watcher.onDidCreate(changed));
    this._register(watcher.onDidDelete(changed));
    this._register({ dispose: () => this.timer !== undefined && clearTimeout(this.timer) });
  }

  get file(): string {
    return this.uri.fsPath;
  }

  get state(): InspectorState {
    return this._state;
  }

  /** Reads the model (again). Only the latest read's result is kept. */
  async load(): Promise<void> {
    const gen = ++this.generation;
    const stale = () => gen !== this.generation || this.isDisposed;
    const started = Date.now();
    const versions = siblingVersions(this.file);
    let next: InspectorState;
    try {
      // A binary SavedModel shows its signatures at once; the scan of its graph's ops (seconds
      // for a graph of gigabytes) follows and completes the lint.
      if (this.file.endsWith('.pb') && !(await this.cache.hasFull(this.file))) {
        const quick = await this.cache.get(this.file, 'quick');
        if (stale()) return;
        this.set({ kind: 'model', model: toInspectorModel(quick, await versions, true) });
        this.logger.trace('inspector', `listed ${this.file} in ${Date.now() - started} ms; scanning its graph`);
      }
      const full = await this.cache.get(this.file, 'full');
      next = { kind: 'model', model: toInspectorModel(full, await versions) };
      this.logger.info('inspector', `read ${this.file} in ${Date.now() - started} ms`);
    } catch (err) {
      next = { kind: 'error', error: toInspectorError(err) };
      this.logger.warn('inspector', `cannot read ${this.file}: ${describeError(err)}`);
    }
    if (stale()) return;
    this.set(next);
  }

  private set(state: InspectorState): void {
    this._state = state;
    this._onDidChange.fire(state);
  }

  /** Forgets the cached reading and reads the file again. */
  reload(): Promise<void> {
    this.cache.invalidate(this.file);
    return this.load();
  }

  private scheduleReload(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.logger.trace('inspector', `${this.file} changed on disk; reading it again`);
      void this.reload();
    }, RELOAD_DEBOUNCE_MS);
  }
}
