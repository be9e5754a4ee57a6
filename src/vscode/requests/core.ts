/**
 * The editor's view of the request core (src/core/request): validation, the position helpers for
 * hover and completion, and the bindings file. The rest of src/vscode/requests reads only these
 * shapes, so the adapters stay in this one file.
 */
import { basename, dirname, join } from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { TargetKind, TextEdit, ValidateOptions, ValidateResult } from '../../core/request/types';
import type { AliasAt, CompletionContext, CompletionOptions } from '../../core/request/locate';
import { aliasAt, completionContext, convertFormat, validateJsonLinesStream, validateRequest } from '../../core/request/validate';
import type { BindingFile, BindingTarget } from '../../core/request/binding';
import { BINDING_FILES, bindingFor, checkTarget, loadBindings, servingSignatures, setBinding } from '../../core/request/binding';
import type { ModelSummary, Signature } from '../../core/model/types';

/** What a request file is bound to, ready for display and validation. */
export interface BoundTarget {
  kind: TargetKind;
  /** Short name for the status bar: the model folder, the endpoint id, the model/version, the TF Serving model. */
  label: string;
  /** Local model: the absolute path. */
  modelPath?: string;
  /** Cloud / TF Serving: the resource name or URL. */
  resource?: string;
  /** The signature named by the binding. */
  signature?: string;
  /** The glob that matched the file. */
  glob: string;
  /** The binding file (absolute). */
  file: string;
}

/** Whether a file is a request file (by name or binding), and what it is bound to. */
export interface FileBinding {
  isRequest: boolean;
  target?: BoundTarget;
}

export type LoadedBindings = BindingFile;
export type { BindingTarget };

/** The display name of a local model: its folder, without TF Serving's version folder or a `saved_model_` prefix. */
export function modelLabel(path: string): string {
  let p = path.replace(/[\\/]+$/, '');
  if (/(^|[\\/])(saved_model\.pb(txt)?|model\.json)$/.test(p)) p = dirname(p);
  if (/^\d+$/.test(basename(p))) p = dirname(p);
  return basename(p).replace(/^saved_model_/, '') || p;
}

/** The display name of any target. */
export function targetLabel(target: BindingTarget, modelPath?: string): string {
  if ('model' in target) return modelLabel(modelPath ?? target.model);
  if ('endpoint' in target) return `endpoint ${target.endpoint.split('/').pop() ?? target.endpoint}`;
  if ('version' in target) {
    const m = /models\/([^/]+)(?:\/versions\/([^/]+))?/.exec(target.version);
    return m ? (m[2] ? `${m[1]} ${m[2]}` : m[1]!) : target.version;
  }
  const m = /\/v1\/models\/([^/]+)(?:\/(versions|labels)\/([^/]+))?/.exec(target.tfServing);
  return m ? `${m[1]}${m[3] ? ` ${m[3]}` : ''} (TF Serving)` : target.tfServing;
}

/** A target passed to the bind command by a caller: one of the binding file's target shapes. */
export function isBindingTarget(v: unknown): v is BindingTarget {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const entries = Object.entries(v as Record<string, unknown>);
  return (
    entries.length === 1 &&
    ['model', 'endpoint', 'version', 'tfServing'].includes(entries[0]![0]) &&
    typeof entries[0]![1] === 'string'
  );
}

/** What is wrong with a target (the binding file's own rule), or undefined. */
export function targetProblem(target: BindingTarget): string | undefined {
  return checkTarget(target);
}

export function loadWorkspaceBindings(root: string): Promise<LoadedBindings> {
  return loadBindings(root);
}

export function bindingForFile(root: string, loaded: LoadedBindings, file: string): FileBinding {
  const m = bindingFor(root, loaded, file);
  if (!m) return { isRequest: false };
  if (!m.binding || m.target === undefined) return { isRequest: true };
  const t = m.binding.target;
  const target: BoundTarget = {
    kind: m.target,
    label: targetLabel(t, m.modelPath),
    glob: m.binding.files,
    file: loaded.path ?? join(root, BINDING_FILES[0]),
  };
  if (m.modelPath !== undefined) target.modelPath = m.modelPath;
  if ('endpoint' in t) target.resource = t.endpoint;
  else if ('version' in t) target.resource = t.version;
  else if ('tfServing' in t) target.resource = t.tfServing;
  if (m.signature !== undefined) target.signature = m.signature;
  return { isRequest: true, target };
}

/** Binds `glob` to `target` in the root's binding file; resolves with the file written. */
export async function writeBinding(root: string, glob: string, target: BindingTarget, signature?: string): Promise<string> {
  const before = await loadBindings(root);
  await setBinding(root, glob, target, signature);
  return before.path ?? join(root, BINDING_FILES[0]);
}

/** The signatures requests are checked against (the serving tag-set's). */
export function signaturesToCheck(summary: ModelSummary): Signature[] {
  return servingSignatures(summary);
}

/** Validates a request body or a JSON Lines instances file held in memory. Never throws. */
export function validateText(text: string, opts: ValidateOptions): ValidateResult {
  return validateRequest(text, opts);
}

/** How much of a large JSON Lines document is validated between two yields to the event loop. */
const LARGE_CHUNK_CHARS = 512 * 1024;

/**
 * Validates a large document without holding the extension host for long: JSON Lines through the
 * streamed validator, fed in chunks with a yield to the event loop between chunks; a JSON body
 * (one pass, about as fast as JSON.parse) after one yield. Undefined when `wanted()` turns false
 * meanwhile (the document changed or closed).
 */
export async function validateLarge(text: string, opts: ValidateOptions, wanted: () => boolean): Promise<ValidateResult | undefined> {
  if (opts.fileKind !== 'jsonl') {
    await yieldToEventLoop();
    return wanted() ? validateRequest(text, opts) : undefined;
  }
  let abandoned = false;
  async function* chunks(): AsyncGenerator<string> {
    let at = 0;
    while (at < text.length) {
      await yieldToEventLoop();
      if (!wanted()) {
        abandoned = true;
        return;
      }
      let end = Math.min(text.length, at + LARGE_CHUNK_CHARS);
      // Never split a surrogate pair between chunks (each chunk is encoded to UTF-8 on its own).
      const c = text.charCodeAt(end - 1);
      if (end < text.length && c >= 0xd800 && c <= 0xdbff) end++;
      yield text.slice(at, end);
      at = end;
    }
  }
  const result = await validateJsonLinesStream(chunks(), opts);
  return abandoned ? undefined : result;
}

/** The input alias under the cursor (hover): its name and the range of its key, quotes included. */
export function aliasAtOffset(text: string, offset: number, fileKind: 'json' | 'jsonl'): AliasAt | undefined {
  return aliasAt(text, offset, fileKind);
}

/** What to complete at `offset`: top-level keys, the signature's aliases or its signature names, with items. */
export function completionSite(text: string, offset: number, opts: CompletionOptions): CompletionContext | undefined {
  return completionContext(text, offset, opts);
}

/** Edits that rewrite a body between row ("instances") and columnar ("inputs") format; undefined when it cannot be done faithfully. */
export function convertBody(text: string, to: 'row' | 'columnar'): TextEdit[] | undefined {
  return convertFormat(text, to);
}
