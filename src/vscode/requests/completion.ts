/**
 * Completion in request files: the input aliases of the signature (with dtype and shape), the
 * model's signature names for `signature_name`, and the top-level keys of a request body. The core
 * (`completionContext`) says what belongs at the cursor; this only turns its items into
 * CompletionItems. (VS Code's JSON support adds the request schema's own suggestions beside these.)
 */
import * as vscode from 'vscode';
import type { CompletionContext, CompletionItem as CoreItem } from '../../core/request/locate';
import { toRange } from './convert';
import { completionSite } from './core';
import type { RequestDiagnostics } from './diagnostics';
import { inDocument, textAround } from './requestFiles';
import type { RequestResolver } from './resolver';
import { validateOptions } from './resolver';

const KINDS: Record<CompletionContext['kind'], vscode.CompletionItemKind> = {
  alias: vscode.CompletionItemKind.Field,
  'signature-name': vscode.CompletionItemKind.Value,
  'top-level-key': vscode.CompletionItemKind.Property,
};

export class RequestCompletionProvider implements vscode.CompletionItemProvider {
  static readonly triggerCharacters = ['"'];

  constructor(
    private readonly resolver: RequestResolver,
    private readonly diagnostics: RequestDiagnostics,
  ) {}

  async provideCompletionItems(
    doc: vscode.TextDocument,
    position: vscode.Position,
    token: vscode.CancellationToken,
  ): Promise<vscode.CompletionItem[] | undefined> {
    const setup = await this.resolver.setup(doc);
    if (!setup || token.isCancellationRequested) return undefined;
    const opts = validateOptions(setup);
    // The signature the validator settled on (by the body's shape) is the best guess for aliases.
    const used = this.diagnostics.analysis(doc.uri)?.result?.signature;
    const w = textAround(doc, position, setup.fileKind);
    if (!w) return undefined;
    const ctx = completionSite(w.text, w.offset, {
      fileKind: setup.fileKind,
      ...(opts.signatures ? { signatures: opts.signatures } : {}),
      ...((used ?? opts.signatureName) !== undefined ? { signatureName: used ?? opts.signatureName } : {}),
    });
    if (!ctx || ctx.items.length === 0) return undefined;
    const range = toRange(doc, inDocument(w, ctx.range));
    return ctx.items.map((it, i) => toItem(ctx, it, i, range));
  }
}

function toItem(ctx: CompletionContext, it: CoreItem, index: number, range: vscode.Range): vscode.CompletionItem {
  const item = new vscode.CompletionItem(
    it.detail ? { label: it.label, description: it.detail } : it.label,
    KINDS[ctx.kind],
  );
  if (it.detail) item.detail = it.detail;
  if (it.documentation) item.documentation = new vscode.MarkdownString().appendText(it.documentation);
  // The range covers the string being typed, quotes included (or is empty between tokens):
  // replace it with the quoted name either way.
  const quoted = JSON.stringify(it.label);
  item.range = range;
  item.insertText = quoted;
  item.filterText = quoted;
  item.sortText = `${ctx.kind === 'signature-name' && it.label === 'serving_default' ? 0 : 1}${String(index).padStart(4, '0')}`;
  if (index === 0) item.preselect = true;
  return item;
}
