/**
 * What a request document is checked against: its binding (from `.servelens.json`) and, for a
 * local model, the model's served signatures. Shared by diagnostics, hover, completion and the
 * status bar, so they all agree on which file is a request and what it is bound to.
 */
import type * as vscode from 'vscode';
import type { Signature } from '../../core/model/types';
import type { TargetKind, ValidateOptions } from '../../core/request/types';
import type { BindingLookup, BindingStore } from './bindings';
import { fileKindOf, isFileDocument, isJsonLike, isNamedRequestFile } from './requestFiles';
import type { ModelSignatures, SignatureCache } from './signatures';

export interface RequestSetup {
  fileKind: 'json' | 'jsonl';
  lookup: BindingLookup;
  /** The bound local model's signatures, when it could be read. */
  model?: ModelSignatures;
  /** Why the bound local model could not be read. */
  modelError?: unknown;
}

export class RequestResolver {
  constructor(
    readonly bindings: BindingStore,
    readonly signatures: SignatureCache,
  ) {}

  /** The binding of a document, or undefined when it is not a request file (nor `forced`). */
  async classify(doc: vscode.TextDocument, forced = false): Promise<BindingLookup | undefined> {
    if (!isFileDocument(doc)) return undefined;
    if (!forced && !isNamedRequestFile(doc.uri.fsPath) && !isJsonLike(doc)) return undefined;
    const lookup = await this.bindings.lookup(doc.uri);
    return lookup.isRequest || forced ? lookup : undefined;
  }

  /** Everything validation needs, or undefined when the document is not a request file. */
  async setup(doc: vscode.TextDocument, forced = false): Promise<RequestSetup | undefined> {
    const lookup = await this.classify(doc, forced);
    if (!lookup) return undefined;
    const setup: RequestSetup = { fileKind: fileKindOf(doc), lookup };
    const modelPath = lookup.target?.modelPath;
    if (modelPath !== undefined) {
      try {
        setup.model = await this.signatures.get(modelPath);
      } catch (err) {
        setup.modelError = err;
      }
    }
    return setup;
  }
}

export function validateOptions(setup: RequestSetup): ValidateOptions {
  const opts: ValidateOptions = { fileKind: setup.fileKind };
  if (setup.model) opts.signatures = setup.model.signatures;
  const target = setup.lookup.target;
  if (target?.signature !== undefined) opts.signatureName = target.signature;
  const kind: TargetKind | undefined = target?.kind;
  if (kind !== undefined) opts.target = kind;
  return opts;
}

/** The signature a body is checked against: the one the validator used, else the binding's, else serving_default. */
export function signatureOf(setup: RequestSetup, used: string | undefined): Signature | undefined {
  const sigs = setup.model?.signatures ?? [];
  const name = used ?? setup.lookup.target?.signature ?? 'serving_default';
  return sigs.find((s) => s.name === name);
}
