/**
 * The binding file: which request files go to which target, shared by the editor and
 * `servelens validate` (and committed by a team). `.servelens.json` or `.vscode/servelens.json` at
 * a workspace root:
 *
 *   { "bindings": [ { "files": "<glob relative to the root>",
 *                     "target": { "model": "<path relative to the root>" }
 *                             | { "endpoint": "projects/P/locations/R/endpoints/E" }
 *                             | { "version": "projects/P/models/M[/versions/V]" }
 *                             | { "tfServing": "http://host:port/v1/models/NAME" },
 *                     "signature": "serving_default" } ] }
 *
 * The first binding whose glob matches wins. Files named `*.request.json` / `*.instances.jsonl`
 * are request files even without a binding. Errors in the file are findings with ranges.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { IoError, UsageError } from '../errors';
import type { ModelSummary, Signature } from '../model/types';
import { matchGlob } from './glob';
import { FindingSink } from './scan';
import { parseTree, type TreeNode } from './tree';
import type { RequestFinding, TargetKind, TextRange } from './types';

export const BINDING_FILES = ['.servelens.json', join('.vscode', 'servelens.json')] as const;

export type BindingTarget = { model: string } | { endpoint: string } | { version: string } | { tfServing: string };

export interface Binding {
  files: string;
  target: BindingTarget;
  signature?: string;
  /** Where the entry is in the binding file. */
  range: TextRange;
}

export interface BindingFile {
  root: string;
  /** The binding file read, or undefined when the root has none. */
  path: string | undefined;
  text: string | undefined;
  /** The valid entries, in order (invalid ones are left out and reported). */
  bindings: Binding[];
  findings: RequestFinding[];
}

export interface BindingMatch {
  /** The binding that matched, if any (a file can be a request file by its name alone). */
  binding?: Binding;
  fileKind: 'json' | 'jsonl';
  /** Where the bound target runs; undefined without a binding. */
  target?: TargetKind;
  /** A bound local model: its absolute path. */
  modelPath?: string;
  signature?: string;
}

const ENDPOINT_RE = /^projects\/[^/\s]+\/locations\/[^/\s]+\/endpoints\/[^/\s]+$/;
const VERSION_RE = /^projects\/[^/\s]+\/models\/[^/\s]+(\/versions\/[^/\s]+)?$/;
const TF_SERVING_RE = /^https?:\/\/[^/\s]+\/v1\/models\/[^/\s:]+(\/versions\/\d+|\/labels\/[^/\s:]+)?\/?$/;

/** The kind of a request file by its name: `*.request.json`, `*.instances.jsonl`; undefined otherwise. */
export function requestFileKindByName(file: string): 'json' | 'jsonl' | undefined {
  const name = basename(file).toLowerCase();
  if (name.endsWith('.request.json')) return 'json';
  if (name.endsWith('.instances.jsonl')) return 'jsonl';
  return undefined;
}

/** JSON Lines by extension (.jsonl, .ndjson), JSON otherwise. */
export function fileKindOf(file: string): 'json' | 'jsonl' {
  return /\.(jsonl|ndjson)$/i.test(file) ? 'jsonl' : 'json';
}

export function targetKindOf(target: BindingTarget): TargetKind {
  if ('model' in target) return 'local';
  if ('endpoint' in target) return 'vertex';
  if ('version' in target) return 'ai-platform';
  return 'tf-serving';
}

/** Says what is wrong with a target, or undefined when it is well formed. */
export function checkTarget(target: BindingTarget): string | undefined {
  if ('model' in target) return target.model.trim() === '' ? '"model" must be a path to a model, relative to the workspace root' : undefined;
  if ('endpoint' in target) return ENDPOINT_RE.test(target.endpoint) ? undefined : `"endpoint" must look like projects/P/locations/R/endpoints/E (got "${target.endpoint}")`;
  if ('version' in target) return VERSION_RE.test(target.version) ? undefined : `"version" must look like projects/P/models/M or projects/P/models/M/versions/V (got "${target.version}")`;
  return TF_SERVING_RE.test(target.tfServing) ? undefined : `"tfServing" must look like http://host:port/v1/models/NAME (got "${target.tfServing}")`;
}

const TARGET_KEYS = ['model', 'endpoint', 'version', 'tfServing'] as const;

/** Reads the bindings from a binding file's text; problems are findings with ranges. Pure. */
export function parseBindings(text: string): { bindings: Binding[]; findings: RequestFinding[] } {
  const sink = new FindingSink();
  const root = parseTree(text, sink);
  const bindings: Binding[] = [];
  const bad: Report = (n, message, code = 'binding-invalid') => sink.add(code, 'error', message, n.start, n.end);
  const warn: Report = (n, message, code = 'binding-invalid') => sink.add(code, 'warning', message, n.start, n.end);
  if (root) {
    const list = root.type === 'object' ? root.members.find((m) => m.key === 'bindings') : undefined;
    if (root.type !== 'object') bad(root, 'The binding file must be an object: {"bindings": [...]}.');
    else if (!list) bad({ start: root.start, end: root.start + 1 }, 'The binding file needs a "bindings" list: {"bindings": [{"files": "...", "target": {...}}]}.');
    else if (list.value.type !== 'array') bad(list.value, '"bindings" must be a list of {"files", "target", "signature"?} entries.');
    else {
      for (const entry of list.value.items) {
        const b = readEntry(entry, bad, warn);
        if (b) bindings.push(b);
      }
    }
    if (root.type === 'object') {
      for (const m of root.members) if (m.key !== 'bindings') sink.add('binding-invalid', 'warning', `"${m.key}" is not a binding-file field (only "bindings").`, m.keyStart, m.keyEnd);
    }
  }
  return { bindings, findings: sink.finish(text) };
}

type Report = (n: { start: number; end: number }, message: string, code?: string) => void;

function readEntry(entry: TreeNode, bad: Report, warn: Report): Binding | undefined {
  if (entry.type !== 'object') {
    bad(entry, 'A binding is an object: {"files": "<glob>", "target": {...}, "signature"?: "<name>"}.');
    return undefined;
  }
  const get = (k: string) => entry.members.find((m) => m.key === k);
  let ok = true;
  const files = get('files');
  if (!files || files.value.type !== 'string' || files.value.value.trim() === '') {
    bad(files?.value ?? { start: entry.start, end: entry.start + 1 }, '"files" must be a glob relative to the workspace root, e.g. "requests/**/*.json".');
    ok = false;
  }
  const sig = get('signature');
  if (sig && sig.value.type !== 'string') {
    bad(sig.value, '"signature" must be a signature name, e.g. "serving_default".');
    ok = false;
  }
  for (const m of entry.members) {
    if (!['files', 'target', 'signature'].includes(m.key)) warn({ start: m.keyStart, end: m.keyEnd }, `"${m.key}" is not a binding field (files, target, signature); it is ignored.`);
  }
  const t = get('target');
  let target: BindingTarget | undefined;
  if (!t || t.value.type !== 'object') {
    bad(t?.value ?? { start: entry.start, end: entry.start + 1 }, '"target" must be one of {"model": "<path>"}, {"endpoint": "projects/P/locations/R/endpoints/E"}, {"version": "projects/P/models/M[/versions/V]"}, {"tfServing": "http://host:port/v1/models/NAME"}.', 'binding-target-invalid');
    ok = false;
  } else {
    const keys = t.value.members.filter((m) => (TARGET_KEYS as readonly string[]).includes(m.key));
    if (keys.length !== 1 || t.value.members.length !== 1) {
      bad(t.value, `"target" must have exactly one of ${TARGET_KEYS.map((k) => `"${k}"`).join(', ')}.`, 'binding-target-invalid');
      ok = false;
    } else if (keys[0]!.value.type !== 'string') {
      bad(keys[0]!.value, `"${keys[0]!.key}" must be a string.`, 'binding-target-invalid');
      ok = false;
    } else {
      target = { [keys[0]!.key]: (keys[0]!.value as { value: string }).value } as BindingTarget;
      const problem = checkTarget(target);
      if (problem) {
        bad(keys[0]!.value, `${problem}.`, 'binding-target-invalid');
        ok = false;
      }
    }
  }
  if (!ok || !target) return undefined;
  const b: Binding = { files: (files!.value as { value: string }).value, target, range: { start: entry.start, end: entry.end } };
  if (sig) b.signature = (sig.value as { value: string }).value;
  return b;
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new IoError(path, err);
  }
}

/** Reads `.servelens.json` (or `.vscode/servelens.json`) at `root`. No file: no bindings, no findings. */
export async function loadBindings(root: string): Promise<BindingFile> {
  for (const name of BINDING_FILES) {
    const path = join(root, name);
    const text = await readIfExists(path);
    if (text === undefined) continue;
    const { bindings, findings } = parseBindings(text);
    return { root, path, text, bindings, findings };
  }
  return { root, path: undefined, text: undefined, bindings: [], findings: [] };
}

/** The nearest folder at or above `dir` that holds a binding file. */
export async function findBindingRoot(dir: string): Promise<string | undefined> {
  let d = resolve(dir);
  for (;;) {
    for (const name of BINDING_FILES) {
      if ((await readIfExists(join(d, name))) !== undefined) return d;
    }
    const up = dirname(d);
    if (up === d) return undefined;
    d = up;
  }
}

/**
 * The binding of `file` (absolute, or relative to the root): the first entry whose glob matches
 * the root-relative path. Files named `*.request.json` / `*.instances.jsonl` are request files
 * without a binding. Undefined: not a request file.
 */
export function bindingFor(root: string, bindings: readonly Binding[] | BindingFile, file: string): BindingMatch | undefined {
  const list = Array.isArray(bindings) ? bindings : (bindings as BindingFile).bindings;
  const abs = isAbsolute(file) ? file : join(root, file);
  const rel = relative(root, abs).split(sep).join('/');
  const inside = rel !== '' && !rel.startsWith('../') && rel !== '..' && !isAbsolute(rel);
  if (inside) {
    for (const b of list) {
      if (!matchGlob(b.files, rel)) continue;
      const m: BindingMatch = { binding: b, fileKind: requestFileKindByName(abs) ?? fileKindOf(abs), target: targetKindOf(b.target) };
      if ('model' in b.target) m.modelPath = resolve(root, b.target.model);
      if (b.signature !== undefined) m.signature = b.signature;
      return m;
    }
  }
  const byName = requestFileKindByName(abs);
  return byName ? { fileKind: byName } : undefined;
}

function entryText(fileGlob: string, target: BindingTarget, signature?: string): string {
  const [k, v] = Object.entries(target)[0]!;
  return `{ "files": ${JSON.stringify(fileGlob)}, "target": { ${JSON.stringify(k)}: ${JSON.stringify(v)} }${signature !== undefined ? `, "signature": ${JSON.stringify(signature)}` : ''} }`;
}

function indentAt(text: string, at: number): string {
  let p = at;
  while (p > 0 && text[p - 1] !== '\n') p--;
  let q = p;
  while (q < at && (text[q] === ' ' || text[q] === '\t')) q++;
  return text.slice(p, q);
}

/**
 * The binding file's text with `fileGlob` bound to `target`: an entry with the same "files" is
 * replaced in place, otherwise one is appended; everything else is kept as written. Throws
 * UsageError when the existing text cannot be read as a binding file.
 */
export function setBindingText(text: string | undefined, fileGlob: string, target: BindingTarget, signature?: string): string {
  const problem = checkTarget(target);
  if (problem) throw new UsageError(`Cannot bind ${fileGlob}: ${problem}`);
  if (fileGlob.trim() === '') throw new UsageError('Cannot bind an empty glob.');
  const entry = entryText(fileGlob, target, signature);
  if (text === undefined || text.trim() === '') return `{\n  "bindings": [\n    ${entry}\n  ]\n}\n`;
  const sink = new FindingSink();
  const root = parseTree(text, sink);
  if (!root || root.type !== 'object') {
    const f = sink.finish(text)[0];
    throw new UsageError(`The binding file is not a JSON object${f ? ` (line ${f.line}: ${f.message})` : ''}`, 'Fix the binding file first, or remove it and bind again.');
  }
  const list = root.members.find((m) => m.key === 'bindings');
  if (!list) {
    const inner = root.members.length ? ',' : '';
    const at = root.start + 1;
    return `${text.slice(0, at)}\n  "bindings": [\n    ${entry}\n  ]${inner}${text.slice(at)}`;
  }
  if (list.value.type !== 'array') throw new UsageError('"bindings" in the binding file is not a list.', 'Fix the binding file first.');
  const items = list.value.items;
  const same = items.find((it) => it.type === 'object' && it.members.some((m) => m.key === 'files' && m.value.type === 'string' && m.value.value === fileGlob));
  if (same) return text.slice(0, same.start) + entry + text.slice(same.end);
  if (items.length === 0) {
    const ind = indentAt(text, list.keyStart);
    return `${text.slice(0, list.value.start)}[\n${ind}  ${entry}\n${ind}]${text.slice(list.value.end)}`;
  }
  const last = items[items.length - 1]!;
  const multiline = /\n/.test(text.slice(list.value.start, list.value.end));
  const sepText = multiline ? `,\n${indentAt(text, last.start)}` : ', ';
  return text.slice(0, last.end) + sepText + entry + text.slice(last.end);
}

/**
 * Binds `fileGlob` to `target` in the root's binding file (the existing one, or a new
 * `.servelens.json`), keeping the other entries and the file's layout. Returns the new text.
 */
export async function setBinding(root: string, fileGlob: string, target: BindingTarget, signature?: string): Promise<string> {
  const current = await loadBindings(root);
  const path = current.path ?? join(root, BINDING_FILES[0]);
  const next = setBindingText(current.text, fileGlob, target, signature);
  try {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, next, 'utf8');
  } catch (err) {
    throw new IoError(path, err);
  }
  return next;
}

/** The signatures requests are checked against: the `serve` tag-set's (exactly ["serve"] first). */
export function servingSignatures(summary: ModelSummary): Signature[] {
  const mgs = summary.metaGraphs;
  const mg =
    mgs.find((m) => m.tags.length === 1 && m.tags[0] === 'serve') ?? mgs.find((m) => m.tags.includes('serve')) ?? mgs[0];
  return mg ? mg.signatures : [];
}
