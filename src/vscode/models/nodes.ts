/**
 * The nodes of the Models tree, one class per kind, each with a stable `contextValue` that
 * package.json menus match (`viewItem =~ /^servelens\.model/`):
 *
 *   servelens.model            a model (a TF Serving base directory or a model folder)
 *   servelens.model.version    one numeric version of a base directory
 *   servelens.tagSet           a MetaGraphDef's tag-set
 *   servelens.signature        a SignatureDef ("servelens.signature.internal" for __saved_model_init_op & co.)
 *   servelens.tensor.input / servelens.tensor.output
 *   servelens.problems / servelens.problem   the lint findings
 *   servelens.error            a model that could not be read (the message is the label)
 *
 * Children load lazily through the shared ModelCache (async); nothing here blocks or asks the user.
 */
import { dirname } from 'node:path';
import * as vscode from 'vscode';
import { ServeLensError, describeError } from '../../core/errors';
import type { ModelInspection } from '../../core/model/inspect';
import type { LintFinding, MetaGraphSummary, Signature, TensorSpec } from '../../core/model/types';
import { formatShape } from '../../../webview/shared/protocol';
import type { ModelEntry, ModelVersion } from './layout';
import { latest } from './layout';
import type { ModelCache } from './modelCache';

export const NodeKinds = {
  model: 'servelens.model',
  version: 'servelens.model.version',
  tagSet: 'servelens.tagSet',
  signature: 'servelens.signature',
  internalSignature: 'servelens.signature.internal',
  input: 'servelens.tensor.input',
  output: 'servelens.tensor.output',
  problems: 'servelens.problems',
  problem: 'servelens.problem',
  error: 'servelens.error',
} as const;

/** What a model's latest reading said, for the decorations of nodes not yet expanded. */
export type ModelStatus =
  | { kind: 'read'; errors: number; warnings: number; infos: number }
  | { kind: 'failed'; message: string };

export interface NodeContext {
  readonly cache: ModelCache;
  status(file: string): ModelStatus | undefined;
  /** A path shown relative to its workspace folder when inside one. */
  describePath(path: string): string;
}

export abstract class ModelsNode {
  abstract readonly contextValue: string;
  constructor(readonly parent: ModelsNode | undefined) {}
  abstract treeItem(): vscode.TreeItem;
  children(): Promise<ModelsNode[]> | ModelsNode[] {
    return [];
  }
  /** A stable id: the tree keeps expansion state across refreshes by it. */
  abstract get id(): string;
}

function counts(lint: LintFinding[]): { errors: number; warnings: number; infos: number } {
  let errors = 0;
  let warnings = 0;
  let infos = 0;
  for (const f of lint) {
    if (f.severity === 'error') errors++;
    else if (f.severity === 'warning') warnings++;
    else infos++;
  }
  return { errors, warnings, infos };
}

export function statusOf(insp: ModelInspection): ModelStatus {
  return { kind: 'read', ...counts(insp.lint) };
}

function problemText(c: { errors: number; warnings: number }): string {
  const parts: string[] = [];
  if (c.errors) parts.push(`${c.errors} error${c.errors === 1 ? '' : 's'}`);
  if (c.warnings) parts.push(`${c.warnings} warning${c.warnings === 1 ? '' : 's'}`);
  return parts.join(', ');
}

function severityIcon(sev: LintFinding['severity']): vscode.ThemeIcon {
  switch (sev) {
    case 'error':
      return new vscode.ThemeIcon('error', new vscode.ThemeColor('problemsErrorIcon.foreground'));
    case 'warning':
      return new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground'));
    default:
      return new vscode.ThemeIcon('info', new vscode.ThemeColor('problemsInfoIcon.foreground'));
  }
}

function worst(lint: LintFinding[]): LintFinding['severity'] | undefined {
  if (lint.some((f) => f.severity === 'error')) return 'error';
  if (lint.some((f) => f.severity === 'warning')) return 'warning';
  return lint.length ? 'info' : undefined;
}

function findingsMarkdown(lint: LintFinding[]): string {
  return lint
    .map((f) => `- **${f.severity}** \`${f.code}\`: ${escapeMd(f.message)}${f.fix ? ` — ${escapeMd(f.fix)}` : ''}`)
    .join('\n');
}

function escapeMd(s: string): string {
  return s.replace(/[\\`*_{}[\]()#+\-!|<>]/g, (c) => `\\${c}`);
}

function sameTags(a: string[] | undefined, b: string[]): boolean {
  if (a === undefined) return true;
  return [...a].sort().join(',') === [...b].sort().join(',');
}

/** The children of a model file: its problems (if any) and its tag-sets, or an error node. */
async function contentOf(ctx: NodeContext, parent: ModelsNode, file: string): Promise<ModelsNode[]> {
  let insp: ModelInspection;
  try {
    // Signatures first: the op scan of a very large graph is left to the background decoration.
    insp = await ctx.cache.best(file);
  } catch (err) {
    return [new ErrorNode(parent, err)];
  }
  const out: ModelsNode[] = [];
  if (insp.lint.length) out.push(new ProblemsNode(parent, file, insp.lint));
  const single = insp.summary.metaGraphs.length === 1;
  insp.summary.metaGraphs.forEach((mg, i) => out.push(new TagSetNode(parent, file, mg, i, insp.lint, single)));
  return out;
}

function statusDecoration(item: vscode.TreeItem, status: ModelStatus | undefined, tooltip: vscode.MarkdownString): void {
  if (!status) return;
  if (status.kind === 'failed') {
    item.iconPath = new vscode.ThemeIcon('error', new vscode.ThemeColor('problemsErrorIcon.foreground'));
    tooltip.appendMarkdown(`\n\n**Cannot read:** ${escapeMd(status.message)}`);
    return;
  }
  const text = problemText(status);
  if (status.errors) item.iconPath = severityIcon('error');
  else if (status.warnings) item.iconPath = severityIcon('warning');
  if (text) {
    item.description = item.description ? `${text} · ${String(item.description)}` : text;
    tooltip.appendMarkdown(`\n\nDeployment lint: ${text}.`);
  }
}

export class ModelNode extends ModelsNode {
  readonly contextValue = NodeKinds.model;
  constructor(
    readonly entry: ModelEntry,
    private readonly ctx: NodeContext,
  ) {
    super(undefined);
  }
  get id(): string {
    return `model:${this.entry.dir}`;
  }
  /** The file TF Serving serves: the highest version. */
  get file(): string {
    return latest(this.entry).file;
  }
  treeItem(): vscode.TreeItem {
    const e = this.entry;
    const item = new vscode.TreeItem(e.label, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = this.id;
    item.contextValue = this.contextValue;
    item.iconPath = new vscode.ThemeIcon(this.file.endsWith('model.json') ? 'json' : 'symbol-structure');
    const where = this.ctx.describePath(e.dir);
    item.description = e.versioned ? `${where} · ${e.versions.length} version${e.versions.length === 1 ? '' : 's'}` : where;
    const tooltip = new vscode.MarkdownString(`**${escapeMd(e.label)}**\n\n\`${e.dir}\``);
    if (e.versioned) tooltip.appendMarkdown(`\n\nVersions: ${e.versions.map((v) => v.name).join(', ')} (TF Serving serves the highest).`);
    statusDecoration(item, this.ctx.status(this.file), tooltip);
    item.tooltip = tooltip;
    return item;
  }
  override children(): Promise<ModelsNode[]> | ModelsNode[] {
    if (this.entry.versioned) {
      const newest = latest(this.entry);
      return [...this.entry.versions].reverse().map((v) => new VersionNode(this, v, v === newest, this.ctx));
    }
    return contentOf(this.ctx, this, this.file);
  }
}

export class VersionNode extends ModelsNode {
  readonly contextValue = NodeKinds.version;
  constructor(
    parent: ModelNode,
    readonly version: ModelVersion,
    readonly isLatest: boolean,
    private readonly ctx: NodeContext,
  ) {
    super(parent);
  }
  get id(): string {
    return `version:${this.version.file}`;
  }
  get file(): string {
    return this.version.file;
  }
  treeItem(): vscode.TreeItem {
    const n = /^\d+$/.test(this.version.name) ? BigInt(this.version.name).toString() : this.version.name;
    const item = new vscode.TreeItem(`v${n}`, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = this.id;
    item.contextValue = this.contextValue;
    item.iconPath = new vscode.ThemeIcon('versions');
    item.description = this.isLatest ? `${this.version.name} · served` : this.version.name;
    const tooltip = new vscode.MarkdownString(`Version folder \`${this.version.name}\`\n\n\`${this.version.file}\``);
    if (this.isLatest) tooltip.appendMarkdown('\n\nThe highest version: the one TF Serving serves by default.');
    statusDecoration(item, this.ctx.status(this.file), tooltip);
    item.tooltip = tooltip;
    return item;
  }
  override children(): Promise<ModelsNode[]> {
    return contentOf(this.ctx, this, this.file);
  }
}

export class TagSetNode extends ModelsNode {
  readonly contextValue = NodeKinds.tagSet;
  constructor(
    parent: ModelsNode,
    readonly file: string,
    readonly metaGraph: MetaGraphSummary,
    readonly index: number,
    private readonly lint: LintFinding[],
    private readonly only: boolean,
  ) {
    super(parent);
  }
  get id(): string {
    return `tags:${this.file}#${this.index}`;
  }
  treeItem(): vscode.TreeItem {
    const mg = this.metaGraph;
    const item = new vscode.TreeItem(
      mg.tags.length ? mg.tags.join(', ') : '(no tags)',
      this.only ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed,
    );
    item.id = this.id;
    item.contextValue = this.contextValue;
    item.iconPath = new vscode.ThemeIcon('tag');
    const n = mg.signatures.length;
    item.description = `${n} signature${n === 1 ? '' : 's'}${mg.tfVersion ? ` · TF ${mg.tfVersion}` : ''}`;
    item.tooltip = `Tag-set ${JSON.stringify(mg.tags)}${mg.tfVersion ? `, written by TensorFlow ${mg.tfVersion}` : ''}`;
    return item;
  }
  override children(): ModelsNode[] {
    const rank = (s: Signature) => (s.name === 'serving_default' ? 0 : s.name.startsWith('__') ? 2 : 1);
    return [...this.metaGraph.signatures]
      .sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name))
      .map(
        (s) =>
          new SignatureNode(
            this,
            this.file,
            this.metaGraph.tags,
            s,
            this.lint.filter((f) => f.signature === s.name && sameTags(f.tags, this.metaGraph.tags)),
          ),
      );
  }
}

const METHOD_SHORT: Record<string, string> = {
  'tensorflow/serving/predict': 'predict',
  'tensorflow/serving/classify': 'classify',
  'tensorflow/serving/regress': 'regress',
};

export class SignatureNode extends ModelsNode {
  readonly contextValue: string;
  constructor(
    parent: ModelsNode,
    /** The model file the signature was read from. */
    readonly file: string,
    readonly tags: string[],
    readonly signature: Signature,
    readonly findings: LintFinding[],
  ) {
    super(parent);
    this.contextValue = signature.name.startsWith('__') ? NodeKinds.internalSignature : NodeKinds.signature;
  }
  get id(): string {
    return `sig:${this.file}#${this.tags.join(',')}#${this.signature.name}`;
  }
  treeItem(): vscode.TreeItem {
    const s = this.signature;
    const item = new vscode.TreeItem(s.name, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = this.id;
    item.contextValue = this.contextValue;
    const sev = worst(this.findings);
    item.iconPath = sev === 'error' || sev === 'warning' ? severityIcon(sev) : new vscode.ThemeIcon('symbol-method');
    const method = s.method ? (METHOD_SHORT[s.method] ?? s.method) : 'no method';
    const text = problemText(counts(this.findings));
    item.description = text ? `${method} · ${text}` : method;
    const md = new vscode.MarkdownString(
      `**${escapeMd(s.name)}** — \`${s.method || '(no method_name)'}\`\n\n` +
        `${s.inputs.length} input${s.inputs.length === 1 ? '' : 's'}, ${s.outputs.length} output${s.outputs.length === 1 ? '' : 's'}`,
    );
    if (this.findings.length) md.appendMarkdown(`\n\n${findingsMarkdown(this.findings)}`);
    item.tooltip = md;
    return item;
  }
  override children(): ModelsNode[] {
    return [
      ...this.signature.inputs.map(
        (t) => new TensorNode(this, 'input', t, this.findings.filter((f) => f.alias === t.alias)),
      ),
      ...this.signature.outputs.map((t) => new TensorNode(this, 'output', t, [])),
    ];
  }
}

export class TensorNode extends ModelsNode {
  readonly contextValue: string;
  constructor(
    readonly parentSignature: SignatureNode,
    readonly direction: 'input' | 'output',
    readonly spec: TensorSpec,
    readonly findings: LintFinding[],
  ) {
    super(parentSignature);
    this.contextValue = direction === 'input' ? NodeKinds.input : NodeKinds.output;
  }
  get id(): string {
    return `${this.parentSignature.id}#${this.direction}:${this.spec.alias}`;
  }
  treeItem(): vscode.TreeItem {
    const t = this.spec;
    const item = new vscode.TreeItem(`${t.alias}:`, vscode.TreeItemCollapsibleState.None);
    item.id = this.id;
    item.contextValue = this.contextValue;
    item.description = `${t.dtype} ${formatShape(t.shape)}`;
    const sev = worst(this.findings);
    item.iconPath =
      sev === 'error' || sev === 'warning'
        ? severityIcon(sev)
        : new vscode.ThemeIcon(this.direction === 'input' ? 'arrow-right' : 'arrow-left');
    const md = new vscode.MarkdownString(
      `${this.direction === 'input' ? 'Input' : 'Output'} **${escapeMd(t.alias)}**: \`${t.dtype}\` ${formatShape(t.shape)}\n\n` +
        `Tensor \`${t.tensor}\`${t.encoding ? ` (${t.encoding})` : ''}`,
    );
    if (this.findings.length) md.appendMarkdown(`\n\n${findingsMarkdown(this.findings)}`);
    item.tooltip = md;
    return item;
  }
}

export class ProblemsNode extends ModelsNode {
  readonly contextValue = NodeKinds.problems;
  constructor(
    parent: ModelsNode,
    readonly file: string,
    readonly lint: LintFinding[],
  ) {
    super(parent);
  }
  get id(): string {
    return `problems:${this.file}`;
  }
  treeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem('Problems', vscode.TreeItemCollapsibleState.Collapsed);
    item.id = this.id;
    item.contextValue = this.contextValue;
    const c = counts(this.lint);
    item.iconPath = severityIcon(worst(this.lint) ?? 'info');
    item.description = problemText(c) || `${c.infos} note${c.infos === 1 ? '' : 's'}`;
    item.tooltip = new vscode.MarkdownString(findingsMarkdown(this.lint));
    return item;
  }
  override children(): ModelsNode[] {
    const order = { error: 0, warning: 1, info: 2 } as const;
    return [...this.lint]
      .sort((a, b) => order[a.severity] - order[b.severity])
      .map((f, i) => new ProblemNode(this, f, i));
  }
}

export class ProblemNode extends ModelsNode {
  readonly contextValue = NodeKinds.problem;
  constructor(
    readonly problems: ProblemsNode,
    readonly finding: LintFinding,
    private readonly index: number,
  ) {
    super(problems);
  }
  get id(): string {
    return `${this.problems.id}#${this.index}:${this.finding.code}`;
  }
  treeItem(): vscode.TreeItem {
    const f = this.finding;
    const item = new vscode.TreeItem(f.message, vscode.TreeItemCollapsibleState.None);
    item.id = this.id;
    item.contextValue = this.contextValue;
    item.iconPath = severityIcon(f.severity);
    item.description = [f.signature, f.alias, f.code].filter(Boolean).join(' · ');
    item.tooltip = new vscode.MarkdownString(findingsMarkdown([f]));
    return item;
  }
}

export class ErrorNode extends ModelsNode {
  readonly contextValue = NodeKinds.error;
  readonly message: string;
  readonly hint?: string;
  constructor(parent: ModelsNode, readonly error: unknown) {
    super(parent);
    this.message = error instanceof Error ? error.message : String(error);
    this.hint = ServeLensError.is(error) ? error.hint : undefined;
  }
  get id(): string {
    return `error:${this.parent?.id ?? ''}`;
  }
  treeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.message, vscode.TreeItemCollapsibleState.None);
    item.id = this.id;
    item.contextValue = this.contextValue;
    item.iconPath = new vscode.ThemeIcon('error', new vscode.ThemeColor('problemsErrorIcon.foreground'));
    item.tooltip = describeError(this.error);
    return item;
  }
}

/** The model file a node stands for, when it stands for one. */
export function fileOf(node: ModelsNode): string | undefined {
  if (node instanceof ModelNode || node instanceof VersionNode) return node.file;
  if (node instanceof TagSetNode || node instanceof SignatureNode || node instanceof ProblemsNode) return node.file;
  if (node instanceof TensorNode) return node.parentSignature.file;
  return node.parent ? fileOf(node.parent) : undefined;
}

/** The folder of a model node: the base directory, the version folder, or the model folder. */
export function folderOf(node: ModelsNode): string | undefined {
  if (node instanceof ModelNode) return node.entry.dir;
  const file = fileOf(node);
  return file ? dirname(file) : undefined;
}
