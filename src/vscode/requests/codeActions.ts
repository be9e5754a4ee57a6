/**
 * Quick fixes for request findings: the core computes each finding's fixes as text edits; here they
 * become CodeActions with WorkspaceEdits. Fixes are looked up by the diagnostic's document version,
 * range and code, so a fix computed for an older text is never applied to a newer one.
 */
import * as vscode from 'vscode';
import { DIAGNOSTIC_SOURCE, findingKey, toWorkspaceEdit } from './convert';
import type { RequestDiagnostics } from './diagnostics';

export class RequestCodeActionProvider implements vscode.CodeActionProvider {
  static readonly metadata: vscode.CodeActionProviderMetadata = {
    providedCodeActionKinds: [vscode.CodeActionKind.QuickFix],
  };

  constructor(private readonly diagnostics: RequestDiagnostics) {}

  provideCodeActions(
    doc: vscode.TextDocument,
    _range: vscode.Range | vscode.Selection,
    context: vscode.CodeActionContext,
  ): vscode.CodeAction[] {
    if (context.only && !context.only.contains(vscode.CodeActionKind.QuickFix) && !vscode.CodeActionKind.QuickFix.contains(context.only)) {
      return [];
    }
    const analysis = this.diagnostics.analysis(doc.uri);
    if (!analysis || analysis.version !== doc.version) return [];
    const actions: vscode.CodeAction[] = [];
    for (const diag of context.diagnostics) {
      if (diag.source !== DIAGNOSTIC_SOURCE || typeof diag.code !== 'string') continue;
      const key = findingKey(analysis.version, diag.range, diag.code);
      for (const fix of analysis.fixes.get(key) ?? []) {
        const action = new vscode.CodeAction(fix.title, vscode.CodeActionKind.QuickFix);
        action.edit = toWorkspaceEdit(doc, doc.uri, fix);
        action.diagnostics = [diag];
        if (fix.preferred) action.isPreferred = true;
        actions.push(action);
      }
    }
    return actions;
  }
}
