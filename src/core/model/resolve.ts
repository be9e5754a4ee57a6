/**
 * Turns what a user points at into the one file ServeLens should read.
 *
 * Accepted, in this order of checks:
 *  - a file: `*.pb` (binary SavedModel), `*.pbtxt` (text SavedModel), `*.json` (tfjs model.json);
 *  - a SavedModel directory: holds `saved_model.pb` or `saved_model.pbtxt` (`.pb` wins, as in
 *    TensorFlow's loader);
 *  - a tfjs model directory: holds `model.json`;
 *  - a TF Serving base directory: holds numeric version folders. As TF Serving does, names that are
 *    not all digits are ignored, versions compare as numbers ("00000123" is 123, the folder name is
 *    kept), and the highest version is served unless `version` picks one.
 * Anything else is a ModelNotFoundError that says what was found.
 */
import type { Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve as resolvePath } from 'node:path';
import { IoError, ModelNotFoundError, UsageError } from '../errors';

export type ResolvedKind = 'savedmodel-pb' | 'savedmodel-pbtxt' | 'tfjs';

export interface ResolvedModel {
  kind: ResolvedKind;
  /** The file to read (absolute). */
  file: string;
  /** The model directory: the folder that holds `file` (the version folder for a base directory). */
  dir: string;
  /** The version folder name used, when `p` was a TF Serving base directory. */
  version?: string;
  /** Every numeric version folder of that base directory, ascending by number. */
  versions?: string[];
}

export interface ResolveOptions {
  /** A version of a TF Serving base directory, by number ("124") or folder name ("00000124"). */
  version?: string;
}

const MODEL_FILES: readonly [string, ResolvedKind][] = [
  ['saved_model.pb', 'savedmodel-pb'],
  ['saved_model.pbtxt', 'savedmodel-pbtxt'],
  ['model.json', 'tfjs'],
];

/** The largest version TF Serving accepts (it parses version folders as int64). */
const MAX_VERSION = (1n << 63n) - 1n;

function errno(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

async function statOrUndefined(path: string): Promise<import('node:fs').Stats | undefined> {
  try {
    return await stat(path);
  } catch (err) {
    const code = errno(err);
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new IoError(path, err);
  }
}

function kindOfFile(file: string): ResolvedKind | undefined {
  switch (extname(file).toLowerCase()) {
    case '.pb':
      return 'savedmodel-pb';
    case '.pbtxt':
      return 'savedmodel-pbtxt';
    case '.json':
      return 'tfjs';
    default:
      return undefined;
  }
}

async function isDirectory(dir: string, entry: Dirent): Promise<boolean> {
  if (entry.isDirectory()) return true;
  if (!entry.isSymbolicLink()) return false;
  return (await statOrUndefined(join(dir, entry.name)))?.isDirectory() ?? false;
}

async function isFile(dir: string, entry: Dirent): Promise<boolean> {
  if (entry.isFile()) return true;
  if (!entry.isSymbolicLink()) return false;
  return (await statOrUndefined(join(dir, entry.name)))?.isFile() ?? false;
}

/** The model file directly inside `dir`, if any. */
async function modelFileIn(dir: string, entries: Dirent[]): Promise<{ file: string; kind: ResolvedKind } | undefined> {
  for (const [name, kind] of MODEL_FILES) {
    const entry = entries.find((e) => e.name === name);
    if (entry && (await isFile(dir, entry))) return { file: join(dir, name), kind };
  }
  return undefined;
}

async function list(dir: string): Promise<Dirent[]> {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (err) {
    throw new IoError(dir, err);
  }
}

function describeEntries(entries: Dirent[]): string {
  if (entries.length === 0) return 'the folder is empty';
  const names = entries
    .map((e) => (e.isDirectory() ? `${e.name}/` : e.name))
    .sort()
    .slice(0, 8);
  return `found ${names.join(', ')}${entries.length > 8 ? `, and ${entries.length - 8} more` : ''}`;
}

interface VersionFolder {
  name: string;
  value: bigint;
}

function compareVersions(a: VersionFolder, b: VersionFolder): number {
  if (a.value !== b.value) return a.value < b.value ? -1 : 1;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** Resolves a user-given path to a model file. See the module comment for what is accepted. */
export async function resolveModelPath(p: string, opts: ResolveOptions = {}): Promise<ResolvedModel> {
  const path = resolvePath(p);
  const st = await statOrUndefined(path);
  if (!st) throw new ModelNotFoundError(p, 'the path does not exist');

  if (st.isFile()) {
    const kind = kindOfFile(path);
    if (!kind)
      throw new ModelNotFoundError(
        p,
        `${basename(path)} is not a saved_model.pb, saved_model.pbtxt or model.json file`,
      );
    if (opts.version !== undefined)
      throw new UsageError(`A version (${opts.version}) applies only to a TF Serving base directory, not to the file ${p}.`);
    return { kind, file: path, dir: dirname(path) };
  }
  if (!st.isDirectory()) throw new ModelNotFoundError(p, 'the path is neither a file nor a folder');

  const entries = await list(path);
  const direct = await modelFileIn(path, entries);
  if (direct) {
    if (opts.version !== undefined)
      throw new UsageError(
        `A version (${opts.version}) applies only to a TF Serving base directory; ${p} is itself a model folder.`,
      );
    return { ...direct, dir: path };
  }

  const versions: VersionFolder[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry.name)) continue;
    const value = BigInt(entry.name);
    if (value > MAX_VERSION) continue;
    if (await isDirectory(path, entry)) versions.push({ name: entry.name, value });
  }
  if (versions.length === 0)
    throw new ModelNotFoundError(
      p,
      `no saved_model.pb, saved_model.pbtxt or model.json here and no numeric version folders (${describeEntries(entries)})`,
    );
  versions.sort(compareVersions);
  const names = versions.map((v) => v.name);

  let chosen: VersionFolder;
  if (opts.version !== undefined) {
    const wanted = /^\d+$/.test(opts.version.trim()) ? BigInt(opts.version.trim()) : undefined;
    const match =
      versions.find((v) => v.name === opts.version) ?? versions.find((v) => wanted !== undefined && v.value === wanted);
    if (!match)
      throw new ModelNotFoundError(p, `there is no version ${opts.version} (versions: ${names.join(', ')})`);
    chosen = match;
  } else {
    chosen = versions[versions.length - 1]!;
  }

  const versionDir = join(path, chosen.name);
  const inside = await modelFileIn(versionDir, await list(versionDir));
  if (!inside)
    throw new ModelNotFoundError(
      versionDir,
      `version ${chosen.name} holds no saved_model.pb, saved_model.pbtxt or model.json` +
        (opts.version === undefined && versions.length > 1 ? ' (it is the highest version, which TF Serving would serve)' : ''),
    );
  return { ...inside, dir: versionDir, version: chosen.name, versions: names };
}
