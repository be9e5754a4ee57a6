/**
 * The signatures of the models request files are bound to: one reading per model path, kept until
 * something under that path changes on disk (a FileSystemWatcher per cached model), then read again
 * on the next validation. A failed reading is kept too, so a broken model is not re-read on every
 * keystroke; the watcher drops it as soon as the model is rewritten.
 */
import { basename, dirname } from 'node:path';
import * as vscode from 'vscode';
import { readModel } from '../../core/model/inspect';
import type { ModelSummary, Signature } from '../../core/model/types';
import { Disposable } from '../lifecycle';
import { signaturesToCheck } from './core';

/** What a bound model contributes to validation. */
export interface ModelSignatures {
  /** The path the binding names (absolute); for a cloud or TF Serving target, where its signatures were read. */
  path: string;
  /** The model's summary (local models; absent for signatures read from a cloud target). */
  summary?: ModelSummary;
  /** The served tag-set's signatures, which requests are checked against. */
  signatures: Signature[];
}

/** How the editor reads a model: the core's `readModel` unless a caller passes another. */
export type ReadModelFn = (path: string) => Promise<ModelSummary>;

/** Signatures TensorFlow adds for its own use; never requested. */
export function isInternalSignature(name: string): boolean {
  return name.startsWith('__saved_model_');
}

function toModelSignatures(path: string, summary: ModelSummary): ModelSignatures {
  return { path, summary, signatures: signaturesToCheck(summary) };
}

interface Entry {
  /** The reading; undefined after an invalidation until the next `get`. */
  value?: Promise<ModelSignatures>;
  /**
   * Kept across invalidations (a watcher takes a moment to start, and a change right after a
   * re-read must not be missed): the path itself (created, replaced, deleted) and everything under it.
   */
  watchers: vscode.Disposable[];
  timer?: NodeJS.Timeout;
}

/** Quiet time after the last file event before a model counts as changed (an export writes many files). */
const SETTLE_MS = 200;

export class SignatureCache extends Disposable {
  private readonly entries = new Map<string, Entry>();
  private readonly changed = this._register(new vscode.EventEmitter<string>());
  /** Fires with the model path when a cached model changed on disk (or was invalidated). */
  readonly onDidChange = this.changed.event;

  constructor(
    private readonly read: ReadModelFn = readModel,
    private readonly max = 32,
  ) {
    super();
  }

  /** The model's served signatures; rejects with the core's typed error when it cannot be read. */
  get(path: string): Promise<ModelSignatures> {
    let entry = this.entries.get(path);
    if (entry) {
      // Least recently used goes first when the cache is full.
      this.entries.delete(path);
      this.entries.set(path, entry);
    } else {
      entry = { watchers: [] };
      this.entries.set(path, entry);
      this.watch(path, entry);
      while (this.entries.size > this.max) {
        const oldest = this.entries.keys().next().value;
        if (oldest === undefined) break;
        this.drop(oldest);
      }
    }
    if (!entry.value) {
      entry.value = this.read(path).then((s) => toModelSignatures(path, s));
      entry.value.catch(() => undefined); // kept (and reported by the caller) until the model changes
    }
    return entry.value;
  }

  /** Forgets the reading of one model (or all) so the next `get` reads it again; fires `onDidChange` unless `notify` is false. */
  invalidate(path?: string, notify = true): void {
    const paths = path === undefined ? [...this.entries.keys()] : [path];
    for (const p of paths) {
      const entry = this.entries.get(p);
      if (!entry?.value) continue;
      entry.value = undefined;
      if (notify) this.changed.fire(p);
    }
  }

  /**
   * Watches the model path (a SavedModel or TF Serving base folder, or a model file named directly;
   * signatures live only in saved_model.pb/.pbtxt and model.json) before the first reading, so the
   * watcher is starting while the model is read.
   */
  private watch(path: string, entry: Entry): void {
    const onEvent = (uri: vscode.Uri) => {
      if (uri.fsPath === path) {
        // The path itself came or went (a folder created or replaced): watch what is under it anew.
        entry.watchers.pop()?.dispose();
        entry.watchers.push(this.under(path, onEvent));
      }
      this.settle(path);
    };
    const self = vscode.workspace.createFileSystemWatcher(
      new vscode.RelativePattern(vscode.Uri.file(dirname(path)), basename(path)),
    );
    self.onDidCreate(onEvent);
    self.onDidChange(onEvent);
    self.onDidDelete(onEvent);
    entry.watchers.push(self, this.under(path, onEvent));
  }

  private under(path: string, onEvent: (uri: vscode.Uri) => void): vscode.Disposable {
    const w = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(path), '**'));
    w.onDidCreate(onEvent);
    w.onDidChange(onEvent);
    w.onDidDelete(onEvent);
    return w;
  }

  private settle(path: string): void {
    const entry = this.entries.get(path);
    if (!entry) return;
    if (entry.timer) clearTimeout(entry.timer);
    entry.timer = setTimeout(() => {
      entry.timer = undefined;
      if (this.entries.get(path) === entry) this.invalidate(path);
    }, SETTLE_MS);
  }

  private drop(path: string): void {
    const entry = this.entries.get(path);
    if (!entry) return;
    this.entries.delete(path);
    if (entry.timer) clearTimeout(entry.timer);
    for (const w of entry.watchers) w.dispose();
  }

  override dispose(): void {
    for (const p of [...this.entries.keys()]) this.drop(p);
    super.dispose();
  }
}
