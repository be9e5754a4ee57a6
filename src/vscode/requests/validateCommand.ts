/**
 * "Validate Request File": validates a file now (re-reading its bound model), even a JSON file that
 * is neither named nor bound as a request, and says what it found.
 */
import * as vscode from 'vscode';
import { UsageError } from '../../core/errors';
import type { RequestDiagnostics } from './diagnostics';
import type { SignatureCache } from './signatures';

export interface ValidateSummary {
  errors: number;
  warnings: number;
  infos: number;
  /** The signature the body was checked against. */
  signature?: string;
  format?: string;
  instances?: number;
  /** The bound target's label, when bound. */
  target?: string;
}

export function validateCommand(deps: { diagnostics: RequestDiagnostics; signatures: SignatureCache }) {
  return async (arg?: unknown): Promise<ValidateSummary> => {
    const uri = arg instanceof vscode.Uri ? arg : vscode.window.activeTextEditor?.document.uri;
    if (!uri) throw new UsageError('No request file to validate.', 'Open a request file, then run "Validate Request File" again.');
    const doc = await vscode.workspace.openTextDocument(uri);
    if (doc.uri.scheme !== 'file') {
      throw new UsageError(`${doc.uri.toString()} is not a file on disk.`, 'Save it as a .request.json or .instances.jsonl file first.');
    }
    // An explicit validation reads the bound model again, in case the watcher missed a change.
    const before = deps.diagnostics.analysis(doc.uri)?.setup.lookup.target?.modelPath;
    if (before !== undefined) deps.signatures.invalidate(before, false);
    const analysis = await deps.diagnostics.validate(doc, true);
    if (!analysis) throw new UsageError(`${vscode.workspace.asRelativePath(doc.uri)} changed while it was validated.`, 'Run the command again.');
    const count = (s: vscode.DiagnosticSeverity) => analysis.diagnostics.filter((d) => d.severity === s).length;
    const summary: ValidateSummary = {
      errors: count(vscode.DiagnosticSeverity.Error),
      warnings: count(vscode.DiagnosticSeverity.Warning),
      infos: count(vscode.DiagnosticSeverity.Information),
    };
    if (analysis.result) {
      if (analysis.result.signature !== undefined) summary.signature = analysis.result.signature;
      summary.format = analysis.result.format;
      summary.instances = analysis.result.instances;
    }
    const target = analysis.setup.lookup.target;
    if (target) summary.target = target.label;
    const name = vscode.workspace.asRelativePath(doc.uri);
    const text =
      summary.errors + summary.warnings === 0
        ? `$(pass) ${name}: no problems${summary.signature ? ` (signature ${summary.signature})` : target ? '' : ' (not bound: structure only)'}`
        : `$(error) ${name}: ${summary.errors} error(s), ${summary.warnings} warning(s)`;
    vscode.window.setStatusBarMessage(text, 5000);
    return summary;
  };
}
