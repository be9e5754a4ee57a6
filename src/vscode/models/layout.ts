/**
 * How model files found on disk group into models: a TF Serving base directory (numeric version
 * folders) is one model with its versions; any other folder holding a model file is one model.
 * Plain Node (no `vscode`): paths in, plain data out.
 */
import type { Dirent } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export const MODEL_FILE_NAMES = ['saved_model.pb', 'saved_model.pbtxt', 'model.json'] as const;
/** The glob that finds them. */
export const MODEL_FILE_GLOB = '**/{saved_model.pb,saved_model.pbtxt,model.json}';

const VERSION_NAME = /^\d+$/;

export interface ModelVersion {
  /** The version folder name as on disk ("00000123"); "" for a model that is not versioned. */
  name: string;
  /** The model file inside it. */
  file: string;
}

export interface ModelEntry {
  /** The base directory (versioned) or the model directory. Unique per entry. */
  dir: string;
  /** The folder name shown for the model. */
  label: string;
  /** True for a TF Serving base directory with numeric version folders. */
  versioned: boolean;
  /** Ascending by version number; one entry (name "") when not versioned. */
  versions: ModelVersion[];
}

/** Which file wins when one folder holds several: TensorFlow's loader reads .pb before .pbtxt. */
function priority(file: string): number {
  return MODEL_FILE_NAMES.indexOf(basename(file) as (typeof MODEL_FILE_NAMES)[number]);
}

function compareVersionNames(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  if (x !== y) return x < y ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The model file TF Serving would serve: the highest version (or the only one). */
export function latest(entry: ModelEntry): ModelVersion {
  return entry.versions[entry.versions.length - 1]!;
}

/** Groups model files (absolute paths) into models, sorted by label then folder. */
export function groupModelFiles(files: readonly string[]): ModelEntry[] {
  // One file per folder, by priority.
  const perFolder = new Map<string, string>();
  for (const f of files) {
    const d = dirname(f);
    const cur = perFolder.get(d);
    if (cur === undefined || priority(f) < priority(cur)) perFolder.set(d, f);
  }
  const models = new Map<string, ModelEntry>();
  for (const [folder, file] of perFolder) {
    const name = basename(folder);
    if (VERSION_NAME.test(name) && dirname(folder) !== folder) {
      const base = dirname(folder);
      const key = `v:${base}`;
      let m = models.get(key);
      if (!m) {
        m = { dir: base, label: basename(base) || base, versioned: true, versions: [] };
        models.set(key, m);
      }
      m.versions.push({ name, file });
    } else {
      models.set(`d:${folder}`, { dir: folder, label: name || folder, versioned: false, versions: [{ name: '', file }] });
    }
  }
  const out = [...models.values()];
  for (const m of out) m.versions.sort((a, b) => compareVersionNames(a.name, b.name));
  out.sort((a, b) => a.label.localeCompare(b.label) || a.dir.localeCompare(b.dir));
  return out;
}

/** How many bytes of a model.json are read to tell a TF.js model from any other model.json. */
const TFJS_SNIFF_BYTES = 64 * 1024;
const TFJS_KEYS = /"(?:modelTopology|weightsManifest)"\s*:/;

/** True when the start of `file` names `modelTopology` or `weightsManifest` (a TF.js model.json). */
export async function isTfjsModelJson(file: string): Promise<boolean> {
  let handle;
  try {
    handle = await open(file, 'r');
    const buf = Buffer.alloc(TFJS_SNIFF_BYTES);
    const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
    return TFJS_KEYS.test(buf.subarray(0, bytesRead).toString('utf8'));
  } catch {
    return false;
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

export interface SiblingVersions {
  /** The version folder `file` sits in, when its name is numeric. */
  version?: string;
  /** Every numeric folder beside it that holds a model file, ascending; empty when not versioned. */
  versions: string[];
  /** The base directory, when versioned. */
  baseDir?: string;
}

/** The TF Serving versions beside a model file: `<base>/<version>/saved_model.pb`. */
export async function siblingVersions(file: string): Promise<SiblingVersions> {
  const folder = dirname(file);
  const version = basename(folder);
  if (!VERSION_NAME.test(version)) return { versions: [] };
  const baseDir = dirname(folder);
  let entries: Dirent[];
  try {
    entries = await readdir(baseDir, { withFileTypes: true });
  } catch {
    return { version, versions: [version], baseDir };
  }
  const found: string[] = [];
  for (const e of entries) {
    if (!VERSION_NAME.test(e.name) || !(e.isDirectory() || e.isSymbolicLink())) continue;
    if ((await modelFileIn(join(baseDir, e.name))) !== undefined) found.push(e.name);
  }
  if (!found.includes(version)) found.push(version);
  found.sort(compareVersionNames);
  return { version, versions: found, baseDir };
}

/** The model file directly inside `dir` (saved_model.pb, then .pbtxt, then model.json), if any. */
export async function modelFileIn(dir: string): Promise<string | undefined> {
  for (const name of MODEL_FILE_NAMES) {
    const p = join(dir, name);
    const st = await stat(p).catch(() => undefined);
    if (st?.isFile()) return p;
  }
  return undefined;
}
