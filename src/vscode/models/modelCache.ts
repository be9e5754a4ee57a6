import { stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { ModelInspection } from '../../core/model/inspect';
import { inspectModel } from '../../core/model/inspect';

/** How the editor reads a model file; the core's `inspectModel` unless a test passes another. */
export type InspectFn = (file: string) => Promise<ModelInspection>;

/**
 * The core reads the file the editor opened, so it cannot see the TF Serving layout: the model's
 * name (for the naming lint) is the base directory's, not the version folder's ("00000123").
 */
export function inspectModelFile(file: string): Promise<ModelInspection> {
  const folder = dirname(file);
  const modelName = /^\d+$/.test(basename(folder)) ? basename(dirname(folder)) : undefined;
  return inspectModel(file, modelName ? { modelName } : {});
}

interface Entry {
  /** mtime and size of the file when it was read: a change on disk makes the entry stale. */
  stamp: string;
  value: Promise<ModelInspection>;
}

/**
 * One reading of each model file, shared by the Models tree, the inspector and the commands.
 * An entry is reused while the file's mtime and size are unchanged; failures are not kept (a
 * file being copied may read fine a moment later). Holds at most `max` models (least recently used
 * go first). Everything is async: nothing here blocks the extension host.
 */
export class ModelCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly inspect: InspectFn = inspectModelFile,
    private readonly max = 64,
  ) {}

  async get(file: string): Promise<ModelInspection> {
    const st = await stat(file).catch(() => undefined);
    // A missing file is left to `inspect`, which turns it into a typed error.
    const stamp = st ? `${st.mtimeMs}:${st.size}` : 'missing';
    const hit = this.entries.get(file);
    if (hit && hit.stamp === stamp) {
      this.entries.delete(file);
      this.entries.set(file, hit);
      return hit.value;
    }
    const value = this.inspect(file);
    const entry: Entry = { stamp, value };
    this.entries.set(file, entry);
    value.catch(() => {
      if (this.entries.get(file) === entry) this.entries.delete(file);
    });
    while (this.entries.size > this.max) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
    return value;
  }

  invalidate(file?: string): void {
    if (file === undefined) this.entries.clear();
    else this.entries.delete(file);
  }
}
