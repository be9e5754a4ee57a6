/**
 * What a request document is checked against: its binding (from `.servelens.json`) and, for a
 * local model, the model's served signatures. Shared by diagnostics, hover, completion and the
 * status bar, so they all agree on which file is a request and what it is bound to.
 */
import * as vscode from 'vscode';
import { describeError } from '../../core/errors';
import type { Signature } from '../../core/model/types';
import type { TargetKind, ValidateOptions } from '../../core/request/types';
import type { BindingLookup, BindingStore } from './bindings';
import type { BoundTarget } from './core';
import { fileKindOf, isFileDocument, isJsonLike, isNamedRequestFile } from './requestFiles';
import type { ModelSignatures, SignatureCache } from './signatures';

export interface RequestSetup {
  fileKind: 'json' | 'jsonl';
  lookup: BindingLookup;
  /** The bound local model's signatures, when it could be read. */
  model?: ModelSignatures;
  /** Why the bound local model could not be read. */
  modelError?: unknown;
  /** A cloud / TF Serving target: its signatures are still being read (checked again when they arrive). */
  remotePending?: boolean;
  /** A cloud / TF Serving target: why its signatures could not be read. */
  remoteError?: unknown;
}

/** A reading of a target's signatures, as the one who reads them keeps it. */
export interface SignatureReading {
  settled: boolean;
  value?: { signatures: Signature[]; source: string };
  error?: unknown;
  /** Resolves (never rejects) when the reading settles. */
  promise: Promise<void>;
}

/** Where cloud / TF Serving targets' signatures come from (Predict's TargetSignatureCache). */
export interface RemoteSignatures {
  /** The reading for a target, started if needed; undefined when there is nothing to read. */
  entry(target: BoundTarget): SignatureReading | undefined;
  /** Fires when a reading settled or the readings were forgotten. */
  readonly onDidChange: vscode.Event<void>;
}

/** The output files of a batch prediction (servelens batch, Run Batch Prediction): never requests. */
const BATCH_OUTPUT = /\.predictions\.jsonl$/i;

/** How long validation waits for a target's signatures before checking structure only (and again on arrival). */
const REMOTE_WAIT_MS = 2500;

export class RequestResolver implements vscode.Disposable {
  #remote?: RemoteSignatures;
  #remoteSub?: vscode.Disposable;
  readonly #remoteChanged = new vscode.EventEmitter<void>();
  /** Fires when a cloud / TF Serving target's signatures arrived, failed or were forgotten (validate again). */
  readonly onDidChangeRemote = this.#remoteChanged.event;

  constructor(
    readonly bindings: BindingStore,
    readonly signatures: SignatureCache,
  ) {}

  /** Lets cloud / TF Serving targets be checked against their signatures (set once the cloud session exists). */
  setRemote(remote: RemoteSignatures): void {
    this.#remoteSub?.dispose();
    this.#remote = remote;
    this.#remoteSub = remote.onDidChange(() => this.#remoteChanged.fire());
    this.#remoteChanged.fire();
  }

  dispose(): void {
    this.#remoteSub?.dispose();
    this.#remoteChanged.dispose();
  }

  /** The target's signatures, waiting a little for a first reading; the reading says how it went. */
  async #remoteSignatures(target: BoundTarget): Promise<SignatureReading | undefined> {
    if (!this.#remote || !target.resource || !vscode.workspace.isTrusted) return undefined;
    const e = this.#remote.entry(target);
    if (e && !e.settled) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([e.promise, new Promise<void>((r) => (timer = setTimeout(r, REMOTE_WAIT_MS)))]);
      clearTimeout(timer);
    }
    return e;
  }

  /** The binding of a document, or undefined when it is not a request file (nor `forced`). */
  async classify(doc: vscode.TextDocument, forced = false): Promise<BindingLookup | undefined> {
    if (!isFileDocument(doc)) return undefined;
    if (!forced && !isNamedRequestFile(doc.uri.fsPath) && !isJsonLike(doc)) return undefined;
    // What "Run Batch Prediction" writes ({"instance", "prediction"} per line) is an answer, not a request.
    if (!forced && BATCH_OUTPUT.test(doc.uri.fsPath)) return undefined;
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
    } else if (lookup.target) {
      const e = await this.#remoteSignatures(lookup.target);
      if (e?.value) setup.model = { path: e.value.source, signatures: e.value.signatures };
      else if (e && !e.settled) setup.remotePending = true;
      else if (e) setup.remoteError = e.error;
    }
    return setup;
  }
}

/** Why a cloud / TF Serving target's signature is not used, in words, or undefined when it is. */
export function remoteProblem(setup: RequestSetup): string | undefined {
  if (setup.model || !setup.lookup.target || setup.lookup.target.kind === 'local') return undefined;
  if (setup.remotePending) return 'its signature is still being read';
  if (setup.remoteError !== undefined) return `its signature could not be read (${describeError(setup.remoteError)})`;
  return vscode.workspace.isTrusted ? 'its signature is not read here' : 'this workspace is not trusted, so ServeLens does not call the target';
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
