/**
 * Code actions on request files. Quick fixes for findings: the core computes each finding's fixes
 * as text edits; here they become CodeActions with WorkspaceEdits, looked up by the diagnostic's
 * document version, range and code, so a fix computed for an older text is never applied to a
 * newer one. And a rewrite between row ("instances") and columnar ("inputs") format, offered on
 * the line of that key.
 */
import * as vscode from 'vscode';
import { DIAGNOSTIC_SOURCE, findingKey, toWorkspaceEdit } from './convert';
import { convertBody } from './core';
import type { RequestAnalysis, RequestDiagnostics } from './diagnostics';

/** Bodies larger than this are not offered the format rewrite (it builds a tree of the body). */
const CONVERT_MAX_CHARS = 1024 * 1024;

export class RequestCodeActionProvider implements vscode.CodeActionProvider {
  static readonly metadata: vscode.CodeActionProviderMetadata = {
    providedCodeActionKinds: [vscode.CodeActionKind.QuickFix, vscode.CodeActionKind.RefactorRewrite],
  };

  constructor(private readonly diagnostics: RequestDiagnostics) {}

  provideCodeActions(
    doc: vscode.TextDocument,
    range: vscode.Range | vscode.Selection,
    context: vscode.CodeActionContext,
  ): vscode.CodeAction[] {
    const analysis = this.diagnostics.analysis(doc.uri);
    if (!analysis || analysis.version !== doc.version) return [];
    const wants = (kind: vscode.CodeActionKind) => !context.only || context.only.contains(kind) || kind.contains(context.only);
    const actions: vscode.CodeAction[] = [];
    if (wants(vscode.CodeActionKind.QuickFix)) actions.push(...this.quickFixes(doc, analysis, context));
    if (wants(vscode.CodeActionKind.RefactorRewrite)) actions.push(...this.rewrites(doc, analysis, range));
    return actions;
  }

  private quickFixes(doc: vscode.TextDocument, analysis: RequestAnalysis, context: vscode.CodeActionContext): vscode.CodeAction[] {
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

  /** "Convert to row/columnar format" when the range touches the line of the top-level "instances" / "inputs". */
  private rewrites(doc: vscode.TextDocument, analysis: RequestAnalysis, range: vscode.Range): vscode.CodeAction[] {
    const format = analysis.result?.format;
    if (analysis.setup.fileKind !== 'json' || (format !== 'row' && format !== 'columnar')) return [];
    const key = format === 'row' ? '"instances"' : '"inputs"';
    if (!doc.lineAt(range.start.line).text.includes(key) || doc.offsetAt(doc.lineAt(doc.lineCount - 1).range.end) > CONVERT_MAX_CHARS) {
      return [];
    }
    const to = format === 'row' ? 'columnar' : 'row';
    const edits = convertBody(doc.getText(), to);
    if (!edits) return [];
    const title = to === 'columnar' ? 'Convert to columnar format ("inputs")' : 'Convert to row format ("instances")';
    const action = new vscode.CodeAction(title, vscode.CodeActionKind.RefactorRewrite);
    action.edit = toWorkspaceEdit(doc, doc.uri, { title, edits });
    return [action];
  }
}
