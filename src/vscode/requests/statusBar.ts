/**
 * The binding of the active request file, in the status bar: "$(plug) half_plus_two_cpu ·
 * serving_default" or "$(debug-disconnect) Not bound". Clicking it changes the binding.
 */
import * as vscode from 'vscode';
import { Commands } from '../constants';
import { Disposable } from '../lifecycle';
import type { BoundTarget } from './core';
import type { RequestAnalysis, RequestDiagnostics } from './diagnostics';
import { remoteProblem } from './resolver';

const KIND_NAMES: Record<BoundTarget['kind'], string> = {
  local: 'local model',
  vertex: 'Vertex AI endpoint',
  'ai-platform': 'AI Platform model version',
  'tf-serving': 'TF Serving model',
};

/** The status-bar text for an analysis: what the file is bound to and the signature it uses. */
export function statusText(analysis: RequestAnalysis): string {
  const target = analysis.setup.lookup.target;
  if (!target) return '$(debug-disconnect) Not bound';
  const signature = analysis.result?.signature ?? target.signature ?? (target.kind === 'local' ? 'serving_default' : undefined);
  return `$(plug) ${target.label}${signature ? ` · ${signature}` : ''}`;
}

function tooltip(analysis: RequestAnalysis): vscode.MarkdownString {
  const md = new vscode.MarkdownString(undefined, true);
  md.isTrusted = false;
  const target = analysis.setup.lookup.target;
  if (!target) {
    md.appendMarkdown('**Not bound.** This request is checked for structure only.\n\n');
    md.appendMarkdown('Click to bind it to a model, a Vertex AI endpoint, an AI Platform version or a TF Serving URL.');
    return md;
  }
  md.appendMarkdown(`**Bound to a ${KIND_NAMES[target.kind]}**\n\n`);
  md.appendCodeblock(target.modelPath ?? target.resource ?? target.label, 'text');
  md.appendMarkdown(`\nFrom \`${target.glob}\` in \`${vscode.workspace.asRelativePath(target.file)}\`.\n\n`);
  if (target.kind === 'local' || analysis.setup.model) {
    if (analysis.setup.model) {
      md.appendMarkdown(`Checked against signature \`${analysis.result?.signature ?? target.signature ?? 'serving_default'}\`.\n\n`);
    } else {
      md.appendMarkdown('The model could not be read: see the Problems view.\n\n');
    }
  } else {
    md.appendMarkdown(`The request is checked for structure and for the target's rules only: ${remoteProblem(analysis.setup) ?? 'its signature is not read here'}.\n\n`);
  }
  md.appendMarkdown('Click to change the binding.');
  return md;
}

export class RequestStatusBar extends Disposable {
  private readonly item = this._register(
    vscode.window.createStatusBarItem('servelens.request.binding', vscode.StatusBarAlignment.Right, 100),
  );

  constructor(private readonly diagnostics: RequestDiagnostics) {
    super();
    this.item.name = 'ServeLens Request Binding';
    this._register(vscode.window.onDidChangeActiveTextEditor(() => this.update()));
    this._register(diagnostics.onDidValidate((a) => this.update(a.uri)));
    this._register(diagnostics.onDidForget((uri) => this.update(uri)));
    this.update();
  }

  /** What the item shows now (undefined when hidden). */
  get text(): string | undefined {
    return this.shown ? this.item.text : undefined;
  }

  private shown = false;

  private update(changed?: vscode.Uri): void {
    const doc = vscode.window.activeTextEditor?.document;
    if (changed && doc && changed.toString() !== doc.uri.toString()) return;
    const analysis = doc ? this.diagnostics.analysis(doc.uri) : undefined;
    if (!doc || !analysis) {
      this.item.hide();
      this.shown = false;
      return;
    }
    this.item.text = statusText(analysis);
    this.item.tooltip = tooltip(analysis);
    this.item.command = { title: 'Bind Request File to Target…', command: Commands.requestBindTarget, arguments: [doc.uri] };
    this.item.show();
    this.shown = true;
  }
}
