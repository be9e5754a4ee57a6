/**
 * Hover on an input alias of a request file: the signature's input (alias, dtype, shape, tensor
 * name) with the signature's name and method, and the shape of one instance.
 */
import * as vscode from 'vscode';
import type { Signature, TensorSpec } from '../../core/model/types';
import { toRange } from './convert';
import { aliasAtOffset } from './core';
import type { RequestDiagnostics } from './diagnostics';
import { inDocument, textAround } from './requestFiles';
import type { RequestResolver } from './resolver';
import { signatureOf } from './resolver';
import { isInternalSignature } from './signatures';

export function formatShape(shape: TensorSpec['shape']): string {
  if (shape === null) return 'unknown rank';
  return `[${shape.map((d) => (d < 0 ? '-1' : String(d))).join(', ')}]`;
}

/** The shape of one instance in row format: the signature shape without its batch dimension. */
export function instanceShape(shape: TensorSpec['shape']): string {
  if (shape === null) return 'anything (unknown rank)';
  if (shape.length === 0) return 'a scalar (the signature declares no batch dimension)';
  const rest = shape.slice(1);
  return rest.length === 0 ? 'a scalar' : formatShape(rest);
}

/** The hover text of one input. */
export function inputMarkdown(sig: Signature, input: TensorSpec, modelLabel: string): vscode.MarkdownString {
  const md = new vscode.MarkdownString();
  md.appendMarkdown(`**${escape(input.alias)}** — input of signature \`${sig.name}\` (${escape(modelLabel)})\n\n`);
  md.appendMarkdown(`| | |\n|---|---|\n`);
  md.appendMarkdown(`| dtype | \`${input.dtype}\` |\n`);
  md.appendMarkdown(`| shape | \`${formatShape(input.shape)}\` |\n`);
  md.appendMarkdown(`| one instance | ${escape(instanceShape(input.shape))} |\n`);
  md.appendMarkdown(`| tensor | \`${input.tensor}\` |\n`);
  md.appendMarkdown(`| method | \`${sig.method || '(none)'}\` |\n`);
  if (input.encoding) md.appendMarkdown(`| encoding | ${input.encoding} |\n`);
  return md;
}

function escape(s: string): string {
  return s.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, '\\$&');
}

export class RequestHoverProvider implements vscode.HoverProvider {
  constructor(
    private readonly resolver: RequestResolver,
    private readonly diagnostics: RequestDiagnostics,
  ) {}

  async provideHover(doc: vscode.TextDocument, position: vscode.Position, token: vscode.CancellationToken): Promise<vscode.Hover | undefined> {
    const setup = await this.resolver.setup(doc);
    if (!setup?.model || token.isCancellationRequested) return undefined;
    const w = textAround(doc, position, setup.fileKind);
    const found = w && aliasAtOffset(w.text, w.offset, setup.fileKind);
    if (!w || !found) return undefined;
    const sig = signatureOf(setup, this.diagnostics.analysis(doc.uri)?.result?.signature);
    const range = toRange(doc, inDocument(w, found.range));
    const label = setup.lookup.target?.label ?? setup.model.path;
    if (!sig) return undefined;
    const input = sig.inputs.find((i) => i.alias === found.alias);
    if (input) return new vscode.Hover(inputMarkdown(sig, input, label), range);
    const md = new vscode.MarkdownString();
    md.appendMarkdown(`\`${found.alias}\` is not an input of signature \`${sig.name}\` (${escape(label)}).\n\n`);
    const names = sig.inputs.map((i) => `\`${i.alias}\``);
    md.appendMarkdown(names.length ? `Its inputs: ${names.join(', ')}.` : 'It has no inputs.');
    const others = setup.model.signatures.filter((s) => s !== sig && !isInternalSignature(s.name) && s.inputs.some((i) => i.alias === found.alias));
    if (others.length) md.appendMarkdown(`\n\nSignatures with this input: ${others.map((s) => `\`${s.name}\``).join(', ')}.`);
    return new vscode.Hover(md, range);
  }
}
