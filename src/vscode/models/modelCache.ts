import { stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { ModelInspection } from '../../core/model/inspect';
import { inspectModel } from '../../core/model/inspect';

/**
 * How deep a model is read: `quick` lists signatures, variables and assets without walking the
 * graph (milliseconds even for a 2 GB saved_model.pb); `full` adds the scan of the graph's ops
 * that the custom-op lint needs (seconds for a very large graph).
 */
export type ReadDepth = 'quick' | 'full';

/** How the editor reads a model file; the core's `inspectModel` unless a test passes another. */
export type InspectFn = (file: string, depth: ReadDepth) => Promise<ModelInspection>;

/**
 * The core reads the file the editor opened, so it cannot see the TF Serving layout: the model's
 * name (for the naming lint) is the base directory's, not the version folder's ("00000123").
 */
export function inspectModelFile(file: string, depth: ReadDepth): Promise<ModelInspection> {
  const folder = dirname(file);
  const modelName = /^\d+$/.test(basename(folder)) ? basename(dirname(folder)) : undefined;
  return inspectModel(file, { ...(modelName ? { modelName } : {}), skipOps: depth === 'quick' });
}

interface Entry {
  /** mtime and size of the file when it was read: a change on disk makes the entry stale. */
  stamp: string;
  value: Promise<ModelInspection>;
  /** Set once `value` has resolved. */
  done: boolean;
}

/**
 * One reading of each model file, shared by the Models tree, the inspector and the commands.
 * An entry is reused while the file's mtime and size are unchanged; failures are not kept (a
 * file being copied may read fine a moment later). Holds at most `max` readings (least recently
 * used go first). Everything is async: nothing here blocks the extension host.
 */
export class ModelCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly inspect: InspectFn = inspectModelFile,
    private readonly max = 64,
  ) {}

  private static key(file: string, depth: ReadDepth): string {
    return `${depth}:${file}`;
  }

  private async stampOf(file: string): Promise<string> {
    const st = await stat(file).catch(() => undefined);
    // A missing file is left to `inspect`, which turns it into a typed error.
    return st ? `${st.mtimeMs}:${st.size}` : 'missing';
  }

  /** The model read to `depth` (default: everything). */
  async get(file: string, depth: ReadDepth = 'full'): Promise<ModelInspection> {
    const stamp = await this.stampOf(file);
    const key = ModelCache.key(file, depth);
    const hit = this.entries.get(key);
    if (hit && hit.stamp === stamp) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit.value;
    }
    const entry: Entry = { stamp, value: this.inspect(file, depth), done: false };
    this.entries.set(key, entry);
    entry.value.then(
      () => (entry.done = true),
      () => {
        if (this.entries.get(key) === entry) this.entries.delete(key);
      },
    );
    while (this.entries.size > this.max) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
    return entry.value;
  }

  /** The full reading when one is already done and current, else the quick one. */
  async best(file: string): Promise<ModelInspection> {
    const full = this.entries.get(ModelCache.key(file, 'full'));
    if (full?.done && full.stamp === (await this.stampOf(file))) return full.value;
    return this.get(file, 'quick');
  }

  /** True when the full reading of `file` is done and current. */
  async hasFull(file: string): Promise<boolean> {
    const full = this.entries.get(ModelCache.key(file, 'full'));
    return !!full?.done && full.stamp === (await this.stampOf(file));
  }

  invalidate(file?: string): void {
    if (file === undefined) {
      this.entries.clear();
      return;
    }
    this.entries.delete(ModelCache.key(file, 'quick'));
    this.entries.delete(ModelCache.key(file, 'full'));
  }
}
