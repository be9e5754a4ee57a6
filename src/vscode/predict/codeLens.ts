/**
 * CodeLenses above a request file: "▶ Predict", "Explain", "Predict locally", "Target: <name> ▾";
 * on JSON Lines files also "Run batch" at the top and "Predict this line" on each instance line.
 *
 * provideCodeLenses only classifies the document (the binding lookup is cached) and places the
 * lenses; each lens's title and command are filled in by resolveCodeLens, for the lenses on
 * screen. They refresh when a binding file changes or the controller learns a target's model.
 */
import * as vscode from 'vscode';
import { Commands } from '../constants';
import { Disposable } from '../lifecycle';
import type { BoundTarget } from '../requests/core';
import type { RequestFilesApi } from '../requests/registerRequestFiles';
import { LARGE_DOCUMENT_CHARS, documentLength } from '../requests/requestFiles';

/** "Predict this line" is placed on at most this many lines (a large file is a batch). */
export const MAX_LINE_LENSES = 500;

export type LensKind = 'predict' | 'explain' | 'local' | 'target' | 'batch' | 'line';

export class RequestLens extends vscode.CodeLens {
  constructor(
    range: vscode.Range,
    readonly kind: LensKind,
    readonly uri: vscode.Uri,
    readonly target: BoundTarget | undefined,
    readonly line?: number,
  ) {
    super(range);
  }
}

export interface LensDeps {
  requests: RequestFilesApi;
  /** The local model that runs the target, if any (the controller's localModelFor). */
  localModelFor(target: BoundTarget | undefined): string | undefined;
  /** Fires when localModelFor may answer differently. */
  onDidChange: vscode.Event<void>;
}

export class PredictCodeLensProvider extends Disposable implements vscode.CodeLensProvider<RequestLens> {
  readonly #changed = this._register(new vscode.EventEmitter<void>());
  readonly onDidChangeCodeLenses = this.#changed.event;

  constructor(private readonly deps: LensDeps) {
    super();
    this._register(deps.requests.bindings.onDidChange(() => this.#changed.fire()));
    this._register(deps.onDidChange(() => this.#changed.fire()));
  }

  /** Asks VS Code for the lenses again. */
  refresh(): void {
    this.#changed.fire();
  }

  async provideCodeLenses(doc: vscode.TextDocument, token: vscode.CancellationToken): Promise<RequestLens[]> {
    const lookup = await this.deps.requests.resolver.classify(doc);
    if (!lookup || token.isCancellationRequested) return [];
    const top = new vscode.Range(0, 0, 0, 0);
    const target = lookup.target;
    const lenses = [new RequestLens(top, 'predict', doc.uri, target)];
    if (target?.kind !== 'tf-serving') lenses.push(new RequestLens(top, 'explain', doc.uri, target));
    if (this.deps.localModelFor(target)) lenses.push(new RequestLens(top, 'local', doc.uri, target));
    lenses.push(new RequestLens(top, 'target', doc.uri, target));
    const jsonl = /\.(jsonl|ndjson)$/i.test(doc.uri.path) || doc.languageId === 'jsonl';
    if (jsonl) {
      lenses.push(new RequestLens(top, 'batch', doc.uri, target));
      if (documentLength(doc) <= LARGE_DOCUMENT_CHARS) {
        let placed = 0;
        for (let i = 0; i < doc.lineCount && placed < MAX_LINE_LENSES; i++) {
          if (token.isCancellationRequested) return [];
          const line = doc.lineAt(i);
          if (line.isEmptyOrWhitespace) continue;
          lenses.push(new RequestLens(line.range.with({ end: line.range.start }), 'line', doc.uri, target, i));
          placed++;
        }
      }
    }
    return lenses;
  }

  resolveCodeLens(lens: RequestLens): RequestLens {
    const t = lens.target;
    const where = t ? ` on ${t.label}` : '';
    switch (lens.kind) {
      case 'predict':
        lens.command = { title: '▶ Predict', command: Commands.requestPredict, arguments: [lens.uri], tooltip: t ? `Send this request to ${t.label}` : 'Choose a target, then send this request' };
        break;
      case 'explain':
        lens.command = { title: 'Explain', command: Commands.requestExplain, arguments: [lens.uri], tooltip: `Feature attributions${where}` };
        break;
      case 'local':
        lens.command = { title: 'Predict locally', command: Commands.requestPredictLocally, arguments: [lens.uri], tooltip: `Run ${t && t.kind !== 'local' ? `the local copy of ${t.label}` : 'the model'} with TensorFlow.js on this machine` };
        break;
      case 'target':
        lens.command = { title: `Target: ${t ? t.label : 'none'} ▾`, command: Commands.requestPickTarget, arguments: [lens.uri], tooltip: t ? `Bound by "${t.glob}" in ${vscode.workspace.asRelativePath(t.file)}; click to change` : 'Choose where this request goes' };
        break;
      case 'batch':
        lens.command = { title: 'Run batch', command: Commands.requestRunBatch, arguments: [lens.uri], tooltip: 'Every line through the model: locally, or as a Vertex AI batch prediction job when servelens.batch.gcsOutputPrefix is set' };
        break;
      case 'line':
        lens.command = { title: 'Predict this line', command: Commands.requestPredictLine, arguments: [lens.uri, { line: lens.line }], tooltip: `Send line ${(lens.line ?? 0) + 1} alone${where}` };
        break;
    }
    return lens;
  }
}
