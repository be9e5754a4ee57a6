/**
 * Request-file diagnostics: one collection ("servelens-requests") owned here, a per-document queue
 * debounced while typing, validation on open/change/save, forgotten on close. Large documents
 * (over 2 MB) are validated when opened or saved, never per keystroke, and with yields to the
 * event loop so the extension host keeps answering. Bindings or bound models changing on disk
 * re-validate every open request file.
 */
import * as vscode from 'vscode';
import { describeError } from '../../core/errors';
import type { RequestFix, ValidateResult } from '../../core/request/types';
import { Disposable } from '../lifecycle';
import type { Logger } from '../log';
import { BINDING_UNREADABLE, DIAGNOSTIC_SOURCE, MODEL_UNREADABLE, findingKey, toDiagnostic } from './convert';
import { validateLarge, validateText } from './core';
import { LARGE_DOCUMENT_CHARS, documentLength, isFileDocument } from './requestFiles';
import type { RequestResolver, RequestSetup } from './resolver';
import { remoteProblem, validateOptions } from './resolver';

export const DIAGNOSTIC_COLLECTION = 'servelens-requests';
export const DEBOUNCE_MS = 300;
/** The core's finding for a body checked without a signature. */
const STRUCTURAL_ONLY = 'structural-only';

/** The last validation of a document: what the quick fixes, hover and status bar read. */
export interface RequestAnalysis {
  uri: vscode.Uri;
  /** The document version validated. */
  version: number;
  setup: RequestSetup;
  result?: ValidateResult;
  diagnostics: readonly vscode.Diagnostic[];
  /** The fixes of each finding, by `findingKey(version, range, code)`. */
  fixes: ReadonlyMap<string, RequestFix[]>;
  /** Milliseconds the validation took. */
  ms: number;
}

export class RequestDiagnostics extends Disposable {
  readonly collection = this._register(vscode.languages.createDiagnosticCollection(DIAGNOSTIC_COLLECTION));
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** A counter per document: a run whose number is no longer the latest drops its result. */
  private readonly runs = new Map<string, number>();
  private readonly analyses = new Map<string, RequestAnalysis>();
  /** Documents validated on request ("Validate Request File") although not request files by name or binding. */
  private readonly forced = new Set<string>();
  private readonly validated = this._register(new vscode.EventEmitter<RequestAnalysis>());
  /** Fires after each completed validation of a request document. */
  readonly onDidValidate = this.validated.event;
  private readonly forgotten = this._register(new vscode.EventEmitter<vscode.Uri>());
  /** Fires when a document stops being tracked (closed, or no longer a request file). */
  readonly onDidForget = this.forgotten.event;

  constructor(
    private readonly resolver: RequestResolver,
    private readonly logger: Logger,
    private readonly delayMs = DEBOUNCE_MS,
  ) {
    super();
    this._register(vscode.workspace.onDidOpenTextDocument((doc) => this.schedule(doc, 0)));
    this._register(
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.contentChanges.length === 0) return;
        if (documentLength(e.document) > LARGE_DOCUMENT_CHARS) {
          // Too large to re-check per keystroke: drop the pending run; the next save validates.
          this.cancel(e.document.uri.toString());
          return;
        }
        this.schedule(e.document, this.delayMs);
      }),
    );
    this._register(vscode.workspace.onDidSaveTextDocument((doc) => this.schedule(doc, 0)));
    this._register(vscode.workspace.onDidCloseTextDocument((doc) => this.forget(doc.uri)));
    this._register(resolver.bindings.onDidChange(() => this.revalidateAll()));
    this._register(resolver.onDidChangeRemote(() => this.revalidateRemote()));
    this._register(
      resolver.signatures.onDidChange((path) => {
        this.logger.info('requests', `model changed on disk: ${path}`);
        this.revalidateAll();
      }),
    );
    this._register({
      dispose: () => {
        for (const t of this.timers.values()) clearTimeout(t);
        this.timers.clear();
      },
    });
    this.revalidateAll();
  }

  /** The last validation of `uri`, if it is a tracked request document. */
  analysis(uri: vscode.Uri): RequestAnalysis | undefined {
    return this.analyses.get(uri.toString());
  }

  /** Queues `doc` for validation after `delayMs` (a later call for the same document replaces it). */
  schedule(doc: vscode.TextDocument, delayMs: number): void {
    if (!isFileDocument(doc)) return;
    const key = doc.uri.toString();
    this.cancel(key);
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        void this.validate(doc);
      }, delayMs),
    );
  }

  /** Validates again the open documents bound to a cloud or TF Serving target (its signatures arrived or changed). */
  revalidateRemote(): void {
    for (const doc of vscode.workspace.textDocuments) {
      const kind = this.analyses.get(doc.uri.toString())?.setup.lookup.target?.kind;
      if (kind !== undefined && kind !== 'local') this.schedule(doc, 0);
    }
  }

  /** Validates every open document again (bindings or models changed). */
  revalidateAll(): void {
    for (const doc of vscode.workspace.textDocuments) this.schedule(doc, 0);
  }

  /**
   * Validates `doc` now. `force` validates it as a request file even when neither its name nor a
   * binding says it is one (the "Validate Request File" command), and keeps doing so until it closes.
   * Resolves with the analysis, or undefined when the document is not a request file or a newer
   * edit superseded this run.
   */
  async validate(doc: vscode.TextDocument, force = false): Promise<RequestAnalysis | undefined> {
    const key = doc.uri.toString();
    if (force) this.forced.add(key);
    const run = (this.runs.get(key) ?? 0) + 1;
    this.runs.set(key, run);
    const current = () => this.runs.get(key) === run && !doc.isClosed;
    const version = doc.version;
    const started = Date.now();
    try {
      const setup = await this.resolver.setup(doc, this.forced.has(key));
      if (!current()) return undefined;
      if (!setup) {
        if (this.analyses.has(key) || this.collection.has(doc.uri)) this.forget(doc.uri, false);
        return undefined;
      }
      if (doc.version !== version) return undefined; // an edit is queued behind this run

      const opts = validateOptions(setup);
      const large = documentLength(doc) > LARGE_DOCUMENT_CHARS;
      const text = doc.getText();
      const result = large ? await validateLarge(text, opts, () => current() && doc.version === version) : validateText(text, opts);
      if (!current() || doc.version !== version || !result) return undefined;

      const diagnostics: vscode.Diagnostic[] = [];
      const fixes = new Map<string, RequestFix[]>();
      const top = topOfFile(doc);
      const target = setup.lookup.target;
      if (setup.lookup.error !== undefined) {
        const d = new vscode.Diagnostic(
          top,
          `ServeLens could not read the bindings of this workspace folder, so this file is checked without a model: ${describeError(setup.lookup.error)}`,
          vscode.DiagnosticSeverity.Warning,
        );
        d.code = BINDING_UNREADABLE;
        d.source = DIAGNOSTIC_SOURCE;
        diagnostics.push(d);
      }
      if (setup.modelError !== undefined) {
        const d = new vscode.Diagnostic(
          top,
          `The model this file is bound to (${target?.modelPath ?? '?'}, from "${target?.glob ?? '?'}" in ${target ? vscode.workspace.asRelativePath(target.file) : '.servelens.json'}) could not be read, so only the request's structure is checked: ${describeError(setup.modelError)}`,
          vscode.DiagnosticSeverity.Error,
        );
        d.code = MODEL_UNREADABLE;
        d.source = DIAGNOSTIC_SOURCE;
        diagnostics.push(d);
      }
      for (const f of result.findings) {
        if (f.code === STRUCTURAL_ONLY && target) {
          // The core says "no model is bound"; here one is, but it cannot be read (said above) or
          // it is a cloud / TF Serving target whose signature is not fetched.
          if (setup.modelError !== undefined || target.kind === 'local') continue;
          f.message = `This file is bound to ${target.resource ?? target.label} (from ${target.glob}); ${remoteProblem(setup) ?? 'its signature is not read here'}, so only the request's structure and the ${target.kind === 'vertex' ? 'Vertex AI' : target.kind === 'ai-platform' ? 'AI Platform' : 'TF Serving'} rules were checked.`;
        }
        const d = toDiagnostic(doc, f);
        diagnostics.push(d);
        if (f.fixes?.length) {
          const k = findingKey(version, d.range, f.code);
          fixes.set(k, [...(fixes.get(k) ?? []), ...f.fixes]);
        }
      }
      this.collection.set(doc.uri, diagnostics);
      const analysis: RequestAnalysis = { uri: doc.uri, version, setup, result, diagnostics, fixes, ms: Date.now() - started };
      this.analyses.set(key, analysis);
      this.logger.trace(
        'requests',
        `validated ${vscode.workspace.asRelativePath(doc.uri)} v${version}: ${result.findings.length} finding(s) in ${analysis.ms} ms`,
      );
      this.validated.fire(analysis);
      return analysis;
    } catch (err) {
      // Validation itself failing is a bug in ServeLens, not in the request: log it loudly.
      this.logger.error('requests', `validation of ${doc.uri.fsPath} failed: ${describeError(err)}`, err);
      return undefined;
    }
  }

  private cancel(key: string): void {
    const t = this.timers.get(key);
    if (t) clearTimeout(t);
    this.timers.delete(key);
  }

  private forget(uri: vscode.Uri, closed = true): void {
    const key = uri.toString();
    this.cancel(key);
    this.collection.delete(uri);
    this.analyses.delete(key);
    if (closed) {
      this.forced.delete(key);
      this.runs.delete(key);
    }
    this.forgotten.fire(uri);
  }
}

/** Where a file-level problem (unreadable model or bindings) is shown: the first line. */
function topOfFile(doc: vscode.TextDocument): vscode.Range {
  return doc.lineCount > 0 ? doc.lineAt(0).range : new vscode.Range(0, 0, 0, 0);
}
