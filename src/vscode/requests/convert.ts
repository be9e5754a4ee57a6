/**
 * Core results → VS Code objects, and nothing more: a finding becomes a `Diagnostic`, a fix becomes
 * a `WorkspaceEdit`. Offsets are UTF-16 (as the core counts them), mapped through the document.
 */
import * as vscode from 'vscode';
import type { FindingSeverity, RequestFinding, RequestFix, TextRange } from '../../core/request/types';

export const DIAGNOSTIC_SOURCE = 'ServeLens';

/** The code of the one diagnostic shown when the bound model (or the binding file) cannot be read. */
export const MODEL_UNREADABLE = 'model-unreadable';
export const BINDING_UNREADABLE = 'binding-unreadable';

/** Anything with `positionAt`: a TextDocument. */
export interface PositionSource {
  positionAt(offset: number): vscode.Position;
}

export function toRange(doc: PositionSource, r: TextRange): vscode.Range {
  return new vscode.Range(doc.positionAt(r.start), doc.positionAt(r.end));
}

export function toSeverity(s: FindingSeverity): vscode.DiagnosticSeverity {
  switch (s) {
    case 'error':
      return vscode.DiagnosticSeverity.Error;
    case 'warning':
      return vscode.DiagnosticSeverity.Warning;
    case 'info':
      return vscode.DiagnosticSeverity.Information;
  }
}

export function toDiagnostic(doc: PositionSource, f: RequestFinding): vscode.Diagnostic {
  const d = new vscode.Diagnostic(toRange(doc, f.range), f.message, toSeverity(f.severity));
  d.code = f.code;
  d.source = DIAGNOSTIC_SOURCE;
  return d;
}

/** A fix's edits as one WorkspaceEdit on `uri`. */
export function toWorkspaceEdit(doc: PositionSource, uri: vscode.Uri, fix: RequestFix): vscode.WorkspaceEdit {
  const edit = new vscode.WorkspaceEdit();
  for (const e of fix.edits) edit.replace(uri, toRange(doc, e), e.newText);
  return edit;
}

/** The key a diagnostic's fixes are kept under: the document version, the range and the code. */
export function findingKey(version: number, range: vscode.Range, code: string): string {
  const { start, end } = range;
  return `${version}:${start.line}:${start.character}:${end.line}:${end.character}:${code}`;
}
