/**
 * The nodes of the three deployment trees, one class per kind, each with a stable `contextValue`
 * that package.json menus match (`viewItem =~ /^servelens\.cloud\./`):
 *
 *   Vertex AI     project → region → Endpoints | Models | Batch jobs
 *                 Endpoints → endpoint (traffic split) → deployed model → signatures → tensors
 *                 Models → model → versions (aliases, default) → signatures → tensors
 *                 Batch jobs → job (state icon, times, error)
 *   AI Platform   project → model → versions (default marked, state, runtime, framework) → signatures
 *   TF Serving    server → model → versions (state) → signatures → tensors
 *
 * Children load on expansion through the session's clients (async; nothing blocks or asks the user).
 * Long lists page ("Load more"); a failing call becomes an error node carrying the hint, and
 * clicking it retries. Nodes that name a target offer it (`target()`) to "New request for this
 * target" and "Bind current request file to this target"; nodes with a resource name offer it to
 * "Copy resource name" and "Open in Cloud Console".
 */
import * as vscode from 'vscode';
import type {
  AiPlatformModel,
  AiPlatformVersion,
  JobState,
  VertexBatchPredictionJob,
  VertexEndpoint,
  VertexModel,
} from '../../core/cloud/contract';
import { CloudApiError, isCloudError } from '../../core/cloud/errors';
import { idOf } from '../../core/cloud/names';
import { PagedList, type Pager } from '../../core/cloud/paging';
import { deployedModelsOf, type DeployedModelWithTraffic } from '../../core/cloud/vertex';
import { ServeLensError, UsageError, describeError } from '../../core/errors';
import type { BindingTarget } from '../../core/request/binding';
import type { Signature, TensorSpec } from '../../core/model/types';
import { formatShape } from '../../../webview/shared/protocol';
import type { CloudSession, TfServingServer } from './session';

export const CloudNodeKinds = {
  project: 'servelens.cloud.project',
  region: 'servelens.cloud.region',
  group: 'servelens.cloud.group',
  endpoint: 'servelens.cloud.endpoint',
  deployedModel: 'servelens.cloud.deployedModel',
  model: 'servelens.cloud.model',
  version: 'servelens.cloud.version',
  job: 'servelens.cloud.job',
  aiModel: 'servelens.cloud.aiModel',
  aiVersion: 'servelens.cloud.aiVersion',
  tfServer: 'servelens.cloud.tfServer',
  tfModel: 'servelens.cloud.tfModel',
  tfVersion: 'servelens.cloud.tfVersion',
  signature: 'servelens.cloud.signature',
  tensor: 'servelens.cloud.tensor',
  error: 'servelens.cloud.error',
  loadMore: 'servelens.cloud.loadMore',
  message: 'servelens.cloud.message',
} as const;

/** Items asked for per page; more come with "Load more". */
export const PAGE_SIZE = 50;

/** Command ids the nodes attach to clicks (kept here to avoid a cycle with commands.ts). */
export const NodeCommands = {
  loadMore: 'servelens.cloud.loadMore',
  retry: 'servelens.cloud.retry',
} as const;

export interface NodeContext {
  readonly session: CloudSession;
}

export abstract class CloudNode {
  abstract readonly contextValue: string;
  constructor(readonly parent: CloudNode | undefined) {}
  abstract get id(): string;
  abstract treeItem(): vscode.TreeItem;
  children(_ctx: NodeContext): Promise<CloudNode[]> | CloudNode[] {
    return [];
  }
  /** Forgets what was loaded, so the next expansion asks the service again. */
  reset(): void {}
  /** The REST resource name ("projects/P/locations/L/endpoints/E"), for copy and the Console link. */
  resourceName(): string | undefined {
    return undefined;
  }
  /** The Cloud Console page of this resource. */
  consoleUrl(): string | undefined {
    return undefined;
  }
  /** What a request file may be bound to, when this node is such a target. */
  target(): BindingTarget | undefined {
    return undefined;
  }
  /** A short name for the target (file names, messages). */
  targetLabel(): string {
    return this.id;
  }
  /** The signatures requests to this node are checked against (cloud models: read from the artifact). */
  signatures(_ctx: NodeContext): Promise<Signature[]> | undefined {
    return undefined;
  }
}

/** A node whose children are loaded once per expansion and kept until reset. */
abstract class LoadingNode extends CloudNode {
  #loaded?: Promise<CloudNode[]>;
  protected abstract load(ctx: NodeContext): Promise<CloudNode[]>;
  override children(ctx: NodeContext): Promise<CloudNode[]> {
    this.#loaded ??= this.load(ctx);
    this.#loaded.catch(() => {
      this.#loaded = undefined; // a failure is shown, and the next expansion asks again
    });
    return this.#loaded;
  }
  override reset(): void {
    this.#loaded = undefined;
  }
}

/** A node listing a paged resource: the first page on expansion, then one page per "Load more". */
abstract class PagedNode<T> extends CloudNode {
  #list?: PagedList<T>;
  #first?: Promise<unknown>;
  protected abstract pager(ctx: NodeContext): Pager<T>;
  protected abstract nodeFor(item: T): CloudNode;
  protected emptyLabel = 'None';

  override async children(ctx: NodeContext): Promise<CloudNode[]> {
    this.#list ??= new PagedList(this.pager(ctx));
    const list = this.#list;
    if (list.items.length === 0 && list.hasMore) {
      this.#first ??= list.loadMore();
      try {
        await this.#first;
      } catch (err) {
        this.#list = undefined;
        throw err;
      } finally {
        this.#first = undefined;
      }
    }
    const nodes = list.items.map((item) => this.nodeFor(item));
    if (list.hasMore) nodes.push(new LoadMoreNode(this, list.items.length));
    if (nodes.length === 0) nodes.push(new MessageNode(this, this.emptyLabel));
    return nodes;
  }

  /** Loads the next page (the tree is told to refresh this node afterwards). */
  async loadMore(): Promise<void> {
    await this.#list?.loadMore();
  }

  override reset(): void {
    this.#list = undefined;
  }
}

export function isPagedNode(node: CloudNode): node is CloudNode & { loadMore(): Promise<void> } {
  return node instanceof PagedNode;
}

export class LoadMoreNode extends CloudNode {
  readonly contextValue = CloudNodeKinds.loadMore;
  constructor(
    parent: CloudNode,
    private readonly shown: number,
  ) {
    super(parent);
  }
  get id(): string {
    return `${this.parent!.id}/load-more`;
  }
  treeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem('Load more…');
    item.description = `${this.shown} shown`;
    item.iconPath = new vscode.ThemeIcon('ellipsis');
    item.command = { command: NodeCommands.loadMore, title: 'Load more', arguments: [this] };
    return item;
  }
}

export class MessageNode extends CloudNode {
  readonly contextValue = CloudNodeKinds.message;
  constructor(
    parent: CloudNode | undefined,
    readonly label: string,
    private readonly detail?: string,
    private readonly icon = 'info',
  ) {
    super(parent);
  }
  get id(): string {
    return `${this.parent?.id ?? ''}/message/${this.label}`;
  }
  treeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.label);
    if (this.detail) item.tooltip = this.detail;
    item.iconPath = new vscode.ThemeIcon(this.icon);
    return item;
  }
}

/** A call that failed: the message as the label, the hint in the description; clicking retries. */
export class ErrorNode extends CloudNode {
  readonly contextValue = CloudNodeKinds.error;
  readonly message: string;
  readonly hint: string | undefined;
  readonly httpStatus: number | undefined;
  constructor(
    parent: CloudNode | undefined,
    readonly error: unknown,
  ) {
    super(parent);
    this.message = error instanceof ServeLensError ? error.message : describeError(error);
    this.hint = error instanceof ServeLensError ? error.hint : undefined;
    this.httpStatus = error instanceof CloudApiError ? error.httpStatus : undefined;
  }
  get id(): string {
    return `${this.parent?.id ?? ''}/error`;
  }
  treeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.message);
    if (this.hint) item.description = this.hint;
    const tip = new vscode.MarkdownString();
    tip.appendText(this.message);
    if (this.hint) tip.appendMarkdown('\n\n').appendText(this.hint);
    tip.appendMarkdown('\n\n*Click to try again.*');
    item.tooltip = tip;
    item.iconPath = new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground'));
    item.command = { command: NodeCommands.retry, title: 'Try again', arguments: [this] };
    return item;
  }
}

function consoleLink(path: string, project: string): string {
  return `https://console.cloud.google.com/${path}?project=${encodeURIComponent(project)}`;
}

/** "2024-03-04T10:15:30.123456Z" → "2024-03-04 10:15 UTC". */
export function shortTime(t: string | undefined): string | undefined {
  if (!t) return undefined;
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(t);
  return m ? `${m[1]} ${m[2]} UTC` : t;
}

// ---------------------------------------------------------------- signatures (every tree)

export class TensorNode extends CloudNode {
  readonly contextValue = CloudNodeKinds.tensor;
  constructor(
    parent: CloudNode,
    readonly spec: TensorSpec,
    readonly direction: 'input' | 'output',
  ) {
    super(parent);
  }
  get id(): string {
    return `${this.parent!.id}/${this.direction}/${this.spec.alias}`;
  }
  treeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.spec.alias);
    item.description = `${this.spec.dtype} ${formatShape(this.spec.shape)}`;
    item.tooltip = `${this.direction} ${this.spec.alias}: ${this.spec.dtype} ${formatShape(this.spec.shape)}${this.spec.tensor ? ` (${this.spec.tensor})` : ''}`;
    item.iconPath = new vscode.ThemeIcon(this.direction === 'input' ? 'arrow-right' : 'arrow-left');
    return item;
  }
}

export class SignatureNode extends CloudNode {
  readonly contextValue = CloudNodeKinds.signature;
  constructor(
    parent: CloudNode,
    readonly signature: Signature,
  ) {
    super(parent);
  }
  get id(): string {
    return `${this.parent!.id}/sig/${this.signature.name}`;
  }
  treeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.signature.name, vscode.TreeItemCollapsibleState.Collapsed);
    item.description = this.signature.method.replace(/^tensorflow\/serving\//, '');
    item.tooltip = `${this.signature.name} (${this.signature.method || 'no method'}): ${this.signature.inputs.length} input(s), ${this.signature.outputs.length} output(s)`;
    item.iconPath = new vscode.ThemeIcon('symbol-method');
    return item;
  }
  override children(): CloudNode[] {
    return [
      ...this.signature.inputs.map((t) => new TensorNode(this, t, 'input')),
      ...this.signature.outputs.map((t) => new TensorNode(this, t, 'output')),
    ];
  }
  override target(): BindingTarget | undefined {
    return this.parent?.target();
  }
  override targetLabel(): string {
    return this.parent?.targetLabel() ?? this.signature.name;
  }
  override signatures(): Promise<Signature[]> {
    return Promise.resolve([this.signature]);
  }
}

/** The signatures a serving request may name: TensorFlow's own (`__saved_model_init_op`) left out. */
function servable(signatures: Signature[]): Signature[] {
  return signatures.filter((s) => !s.name.startsWith('__saved_model_'));
}

/** A node whose children are the signatures of a model (read lazily from its artifact or server). */
abstract class WithSignatures extends LoadingNode {
  #signatures?: Promise<Signature[]>;
  protected abstract readSignatures(ctx: NodeContext): Promise<Signature[]>;
  override signatures(ctx: NodeContext): Promise<Signature[]> {
    this.#signatures ??= this.readSignatures(ctx).then(servable);
    this.#signatures.catch(() => {
      this.#signatures = undefined;
    });
    return this.#signatures;
  }
  protected async load(ctx: NodeContext): Promise<CloudNode[]> {
    const sigs = await this.signatures(ctx);
    return sigs.length ? sigs.map((s) => new SignatureNode(this, s)) : [new MessageNode(this, 'No signatures')];
  }
  override reset(): void {
    super.reset();
    this.#signatures = undefined;
  }
}

async function artifactSignatures(ctx: NodeContext, uri: string | undefined, what: string): Promise<Signature[]> {
  if (!uri) {
    throw new UsageError(`${what} has no artifact URI, so its signatures cannot be read.`, 'Models with a custom container keep their signature in the container; validate against a local copy instead.');
  }
  if (!uri.startsWith('gs://')) {
    throw new UsageError(`${what} is stored at ${uri}, not in Cloud Storage.`, 'ServeLens reads signatures from gs:// artifacts only.');
  }
  return (await ctx.session.artifacts.read(uri)).signatures;
}

// ---------------------------------------------------------------- Vertex AI

export class VertexProjectNode extends CloudNode {
  readonly contextValue = CloudNodeKinds.project;
  constructor(readonly project: string) {
    super(undefined);
  }
  get id(): string {
    return `vertex/${this.project}`;
  }
  treeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.project, vscode.TreeItemCollapsibleState.Expanded);
    item.iconPath = new vscode.ThemeIcon('project');
    item.tooltip = `Google Cloud project ${this.project}`;
    return item;
  }
  override children(ctx: NodeContext): CloudNode[] {
    return ctx.session.regions.map((r) => new VertexRegionNode(this, this.project, r, ctx.session.regions.length === 1));
  }
  override resourceName(): string {
    return `projects/${this.project}`;
  }
  override consoleUrl(): string {
    return consoleLink('vertex-ai', this.project);
  }
}

export class VertexRegionNode extends CloudNode {
  readonly contextValue = CloudNodeKinds.region;
  constructor(
    parent: CloudNode,
    readonly project: string,
    readonly region: string,
    private readonly expanded: boolean,
  ) {
    super(parent);
  }
  get id(): string {
    return `${this.parent!.id}/${this.region}`;
  }
  treeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(
      this.region,
      this.expanded ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed,
    );
    item.iconPath = new vscode.ThemeIcon('globe');
    return item;
  }
  override children(): CloudNode[] {
    return [new EndpointsNode(this), new VertexModelsNode(this), new BatchJobsNode(this)];
  }
  override resourceName(): string {
    return `projects/${this.project}/locations/${this.region}`;
  }
}

abstract class RegionGroupNode<T> extends PagedNode<T> {
  readonly contextValue = CloudNodeKinds.group;
  protected abstract readonly label: string;
  protected abstract readonly icon: string;
  constructor(readonly region: VertexRegionNode) {
    super(region);
  }
  get id(): string {
    return `${this.parent!.id}/${this.label}`;
  }
  treeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.label, vscode.TreeItemCollapsibleState.Collapsed);
    item.iconPath = new vscode.ThemeIcon(this.icon);
    return item;
  }
}

export class EndpointsNode extends RegionGroupNode<VertexEndpoint> {
  protected readonly label = 'Endpoints';
  protected readonly icon = 'plug';
  protected override emptyLabel = 'No endpoints';
  protected pager(ctx: NodeContext): Pager<VertexEndpoint> {
    return (pageToken, signal) =>
      ctx.session.vertex.listEndpoints(this.region.project, this.region.region, { pageSize: PAGE_SIZE, ...(pageToken ? { pageToken } : {}), ...(signal ? { signal } : {}) });
  }
  protected nodeFor(e: VertexEndpoint): CloudNode {
    return new EndpointNode(this, e);
  }
}

export class VertexModelsNode extends RegionGroupNode<VertexModel> {
  protected readonly label = 'Models';
  protected readonly icon = 'package';
  protected override emptyLabel = 'No models';
  protected pager(ctx: NodeContext): Pager<VertexModel> {
    return (pageToken, signal) =>
      ctx.session.vertex.listModels(this.region.project, this.region.region, { pageSize: PAGE_SIZE, ...(pageToken ? { pageToken } : {}), ...(signal ? { signal } : {}) });
  }
  protected nodeFor(m: VertexModel): CloudNode {
    return new VertexModelNode(this, m);
  }
}

export class BatchJobsNode extends RegionGroupNode<VertexBatchPredictionJob> {
  protected readonly label = 'Batch jobs';
  protected readonly icon = 'tasklist';
  protected override emptyLabel = 'No batch prediction jobs';
  protected pager(ctx: NodeContext): Pager<VertexBatchPredictionJob> {
    return (pageToken, signal) =>
      ctx.session.vertex.listBatchPredictionJobs(this.region.project, this.region.region, {
        pageSize: PAGE_SIZE,
        ...(pageToken ? { pageToken } : {}),
        ...(signal ? { signal } : {}),
      });
  }
  protected nodeFor(j: VertexBatchPredictionJob): CloudNode {
    return new BatchJobNode(this, j);
  }
}

/** The project and region of a Vertex resource name (`projects/P/locations/L/...`). */
function scopeOf(name: string): { project: string; region: string } {
  const m = /^projects\/([^/]+)\/locations\/([^/]+)/.exec(name);
  return { project: m?.[1] ?? '', region: m?.[2] ?? '' };
}

export class EndpointNode extends CloudNode {
  readonly contextValue = CloudNodeKinds.endpoint;
  constructor(
    parent: CloudNode,
    readonly endpoint: VertexEndpoint,
  ) {
    super(parent);
  }
  get id(): string {
    return `vertex/${this.endpoint.name}`;
  }
  treeItem(): vscode.TreeItem {
    const deployed = deployedModelsOf(this.endpoint);
    const item = new vscode.TreeItem(
      this.endpoint.displayName || idOf(this.endpoint.name),
      deployed.length ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None,
    );
    item.description = deployed.length
      ? deployed.map((d) => `${d.displayName ?? d.id} ${d.trafficPercent}%`).join(' · ')
      : 'no deployed models';
    const tip = new vscode.MarkdownString();
    tip.appendText(`${this.endpoint.name}\n`);
    if (this.endpoint.description) tip.appendText(`${this.endpoint.description}\n`);
    tip.appendText(`Traffic split: ${deployed.length ? deployed.map((d) => `${d.id} ${d.trafficPercent}%`).join(', ') : 'none'}`);
    item.tooltip = tip;
    item.iconPath = new vscode.ThemeIcon('plug');
    return item;
  }
  override children(): CloudNode[] {
    return deployedModelsOf(this.endpoint).map((d) => new DeployedModelNode(this, this.endpoint, d));
  }
  override resourceName(): string {
    return this.endpoint.name;
  }
  override consoleUrl(): string {
    const { project, region } = scopeOf(this.endpoint.name);
    return consoleLink(`vertex-ai/locations/${region}/endpoints/${idOf(this.endpoint.name)}`, project);
  }
  override target(): BindingTarget {
    return { endpoint: this.endpoint.name };
  }
  override targetLabel(): string {
    return this.endpoint.displayName || idOf(this.endpoint.name);
  }
  override signatures(ctx: NodeContext): Promise<Signature[]> {
    // The first deployed model by traffic serves most requests; its model's artifact has the signature.
    const first = [...deployedModelsOf(this.endpoint)].sort((a, b) => b.trafficPercent - a.trafficPercent)[0];
    if (!first) return Promise.reject(new UsageError(`Endpoint ${this.targetLabel()} has no deployed model.`, 'Deploy a model to it first.'));
    return new DeployedModelNode(this, this.endpoint, first).signatures(ctx);
  }
}

export class DeployedModelNode extends WithSignatures {
  readonly contextValue = CloudNodeKinds.deployedModel;
  constructor(
    parent: CloudNode,
    readonly endpoint: VertexEndpoint,
    readonly deployed: DeployedModelWithTraffic,
  ) {
    super(parent);
  }
  get id(): string {
    return `${this.parent!.id}/deployed/${this.deployed.id}`;
  }
  treeItem(): vscode.TreeItem {
    const d = this.deployed;
    const item = new vscode.TreeItem(d.displayName || d.id, vscode.TreeItemCollapsibleState.Collapsed);
    const res = d.dedicatedResources;
    const machine = res?.machineSpec?.machineType ?? (d.automaticResources ? 'automatic resources' : undefined);
    const min = res?.minReplicaCount ?? d.automaticResources?.minReplicaCount;
    const max = res?.maxReplicaCount ?? d.automaticResources?.maxReplicaCount;
    const replicas = min !== undefined ? (max !== undefined && max !== min ? `${min}–${max} replicas` : `${min} replica${min === 1 ? '' : 's'}`) : undefined;
    const explain = d.explanationSpec && !d.disableExplanations;
    item.description = [`${d.trafficPercent}%`, `v${d.modelVersionId ?? '?'}`, machine, replicas, explain ? 'explanations' : undefined].filter(Boolean).join(' · ');
    const tip = new vscode.MarkdownString();
    tip.appendText(
      [
        `Deployed model ${d.id}`,
        `Model: ${d.model}${d.modelVersionId ? `@${d.modelVersionId}` : ''}`,
        `Traffic: ${d.trafficPercent}%`,
        machine ? `Machine: ${machine}${res?.machineSpec?.acceleratorType ? ` + ${res.machineSpec.acceleratorCount ?? 1}× ${res.machineSpec.acceleratorType}` : ''}` : undefined,
        replicas ? `Replicas: ${replicas}` : undefined,
        `Explanations: ${explain ? 'enabled' : 'not enabled'}`,
      ]
        .filter(Boolean)
        .join('\n'),
    );
    item.tooltip = tip;
    item.iconPath = new vscode.ThemeIcon(explain ? 'lightbulb' : 'server-process');
    return item;
  }
  protected async readSignatures(ctx: NodeContext): Promise<Signature[]> {
    const name = this.deployed.modelVersionId ? `${this.deployed.model}@${this.deployed.modelVersionId}` : this.deployed.model;
    const model = await ctx.session.vertex.getModel(name);
    return artifactSignatures(ctx, model.artifactUri, `Model ${model.displayName || name}`);
  }
  override resourceName(): string {
    return this.deployed.model;
  }
  override consoleUrl(): string {
    const { project, region } = scopeOf(this.endpoint.name);
    return consoleLink(`vertex-ai/locations/${region}/endpoints/${idOf(this.endpoint.name)}`, project);
  }
  override target(): BindingTarget {
    return { endpoint: this.endpoint.name };
  }
  override targetLabel(): string {
    return this.deployed.displayName || this.deployed.id;
  }
}

export class VertexModelNode extends PagedNode<VertexModel> {
  readonly contextValue = CloudNodeKinds.model;
  protected override emptyLabel = 'No versions';
  constructor(
    parent: CloudNode,
    readonly model: VertexModel,
  ) {
    super(parent);
  }
  get id(): string {
    return `vertex/${this.model.name}`;
  }
  treeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.model.displayName || idOf(this.model.name), vscode.TreeItemCollapsibleState.Collapsed);
    const deployed = this.model.deployedModels?.length ?? 0;
    item.description = [`default v${this.model.versionId ?? '?'}`, deployed ? `deployed ×${deployed}` : undefined].filter(Boolean).join(' · ');
    item.tooltip = `${this.model.name}${this.model.description ? `\n${this.model.description}` : ''}`;
    item.iconPath = new vscode.ThemeIcon('package');
    return item;
  }
  protected pager(ctx: NodeContext): Pager<VertexModel> {
    return (pageToken, signal) =>
      ctx.session.vertex.listVersions(this.model.name, { pageSize: PAGE_SIZE, ...(pageToken ? { pageToken } : {}), ...(signal ? { signal } : {}) });
  }
  protected nodeFor(v: VertexModel): CloudNode {
    return new VertexVersionNode(this, v, v.versionId !== undefined && v.versionId === this.model.versionId);
  }
  override resourceName(): string {
    return this.model.name;
  }
  override consoleUrl(): string {
    const { project, region } = scopeOf(this.model.name);
    return consoleLink(`vertex-ai/models/locations/${region}/models/${idOf(this.model.name)}`, project);
  }
  override targetLabel(): string {
    return this.model.displayName || idOf(this.model.name);
  }
  override signatures(ctx: NodeContext): Promise<Signature[]> {
    return artifactSignatures(ctx, this.model.artifactUri, `Model ${this.targetLabel()}`);
  }
}

export class VertexVersionNode extends WithSignatures {
  readonly contextValue = CloudNodeKinds.version;
  constructor(
    parent: CloudNode,
    readonly version: VertexModel,
    readonly isDefault: boolean,
  ) {
    super(parent);
  }
  get id(): string {
    return `${this.parent!.id}@${this.version.versionId ?? '?'}`;
  }
  treeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(`version ${this.version.versionId ?? '?'}`, vscode.TreeItemCollapsibleState.Collapsed);
    const aliases = (this.version.versionAliases ?? []).map((a) => `@${a}`);
    item.description = [this.isDefault ? 'default' : undefined, ...aliases].filter(Boolean).join(' ');
    item.tooltip = [
      `${this.version.name}@${this.version.versionId ?? '?'}`,
      this.version.versionDescription,
      this.version.artifactUri ? `Artifact: ${this.version.artifactUri}` : 'No artifact URI (custom container)',
      shortTime(this.version.versionCreateTime) ? `Created ${shortTime(this.version.versionCreateTime)}` : undefined,
    ]
      .filter(Boolean)
      .join('\n');
    item.iconPath = new vscode.ThemeIcon(this.isDefault ? 'star-full' : 'versions');
    return item;
  }
  protected readSignatures(ctx: NodeContext): Promise<Signature[]> {
    return artifactSignatures(ctx, this.version.artifactUri, `Version ${this.version.versionId ?? '?'} of ${this.version.displayName || idOf(this.version.name)}`);
  }
  override resourceName(): string {
    return `${this.version.name}@${this.version.versionId ?? ''}`;
  }
  override consoleUrl(): string {
    const { project, region } = scopeOf(this.version.name);
    return consoleLink(`vertex-ai/models/locations/${region}/models/${idOf(this.version.name)}/versions/${this.version.versionId ?? ''}`, project);
  }
  override targetLabel(): string {
    return `${this.version.displayName || idOf(this.version.name)}_v${this.version.versionId ?? ''}`;
  }
}

const JOB_ICONS: Partial<Record<JobState, [string, string?]>> = {
  JOB_STATE_SUCCEEDED: ['pass', 'testing.iconPassed'],
  JOB_STATE_PARTIALLY_SUCCEEDED: ['warning', 'problemsWarningIcon.foreground'],
  JOB_STATE_FAILED: ['error', 'errorForeground'],
  JOB_STATE_RUNNING: ['sync~spin'],
  JOB_STATE_PENDING: ['clock'],
  JOB_STATE_QUEUED: ['clock'],
  JOB_STATE_CANCELLING: ['circle-slash'],
  JOB_STATE_CANCELLED: ['circle-slash'],
  JOB_STATE_EXPIRED: ['history'],
  JOB_STATE_PAUSED: ['debug-pause'],
  JOB_STATE_UPDATING: ['sync'],
};

export class BatchJobNode extends CloudNode {
  readonly contextValue = CloudNodeKinds.job;
  constructor(
    parent: CloudNode,
    readonly job: VertexBatchPredictionJob,
  ) {
    super(parent);
  }
  get id(): string {
    return `vertex/${this.job.name}`;
  }
  treeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.job.displayName || idOf(this.job.name));
    const state = this.job.state.replace(/^JOB_STATE_/, '').toLowerCase().replace(/_/g, ' ');
    const when = shortTime(this.job.endTime) ?? shortTime(this.job.startTime) ?? shortTime(this.job.createTime);
    item.description = [state, when].filter(Boolean).join(' · ');
    const stats = this.job.completionStats;
    item.tooltip = [
      this.job.name,
      `State: ${this.job.state}`,
      this.job.model ? `Model: ${this.job.model}${this.job.modelVersionId ? `@${this.job.modelVersionId}` : ''}` : undefined,
      shortTime(this.job.createTime) ? `Created ${shortTime(this.job.createTime)}` : undefined,
      shortTime(this.job.startTime) ? `Started ${shortTime(this.job.startTime)}` : undefined,
      shortTime(this.job.endTime) ? `Ended ${shortTime(this.job.endTime)}` : undefined,
      stats ? `Instances: ${stats.successfulCount ?? 0} succeeded, ${stats.failedCount ?? 0} failed, ${stats.incompleteCount ?? 0} incomplete` : undefined,
      this.job.error ? `Error: ${this.job.error.message}` : undefined,
      this.job.outputInfo?.gcsOutputDirectory ? `Output: ${this.job.outputInfo.gcsOutputDirectory}` : undefined,
    ]
      .filter(Boolean)
      .join('\n');
    const [icon, color] = JOB_ICONS[this.job.state] ?? ['circle-outline'];
    item.iconPath = new vscode.ThemeIcon(icon, color ? new vscode.ThemeColor(color) : undefined);
    return item;
  }
  override resourceName(): string {
    return this.job.name;
  }
  override consoleUrl(): string {
    const { project, region } = scopeOf(this.job.name);
    return consoleLink(`vertex-ai/locations/${region}/batch-predictions/${idOf(this.job.name)}`, project);
  }
}

// ---------------------------------------------------------------- AI Platform (legacy)

export class AiProjectNode extends PagedNode<AiPlatformModel> {
  readonly contextValue = CloudNodeKinds.project;
  protected override emptyLabel = 'No models';
  constructor(readonly project: string) {
    super(undefined);
  }
  get id(): string {
    return `aiplatform/${this.project}`;
  }
  treeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.project, vscode.TreeItemCollapsibleState.Expanded);
    item.iconPath = new vscode.ThemeIcon('project');
    item.tooltip = `Google Cloud project ${this.project} (AI Platform Prediction)`;
    return item;
  }
  protected pager(ctx: NodeContext): Pager<AiPlatformModel> {
    return (pageToken, signal) =>
      ctx.session.aiPlatform.listModels(this.project, { pageSize: PAGE_SIZE, ...(pageToken ? { pageToken } : {}), ...(signal ? { signal } : {}) });
  }
  protected nodeFor(m: AiPlatformModel): CloudNode {
    return new AiModelNode(this, m);
  }
  override resourceName(): string {
    return `projects/${this.project}`;
  }
  override consoleUrl(): string {
    return consoleLink('ai-platform/models', this.project);
  }
}

export class AiModelNode extends PagedNode<AiPlatformVersion> {
  readonly contextValue = CloudNodeKinds.aiModel;
  protected override emptyLabel = 'No versions';
  constructor(
    parent: CloudNode,
    readonly model: AiPlatformModel,
  ) {
    super(parent);
  }
  get id(): string {
    return `aiplatform/${this.model.name}`;
  }
  treeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(idOf(this.model.name), vscode.TreeItemCollapsibleState.Collapsed);
    item.description = this.model.defaultVersion ? `default ${idOf(this.model.defaultVersion.name)}` : 'no default version';
    item.tooltip = [this.model.name, this.model.description, this.model.regions?.length ? `Regions: ${this.model.regions.join(', ')}` : undefined].filter(Boolean).join('\n');
    item.iconPath = new vscode.ThemeIcon('package');
    return item;
  }
  protected pager(ctx: NodeContext): Pager<AiPlatformVersion> {
    return (pageToken, signal) =>
      ctx.session.aiPlatform.listVersions(this.model.name, { pageSize: PAGE_SIZE, ...(pageToken ? { pageToken } : {}), ...(signal ? { signal } : {}) });
  }
  protected nodeFor(v: AiPlatformVersion): CloudNode {
    return new AiVersionNode(this, v, v.isDefault === true || v.name === this.model.defaultVersion?.name);
  }
  override resourceName(): string {
    return this.model.name;
  }
  override consoleUrl(): string {
    const project = /^projects\/([^/]+)/.exec(this.model.name)?.[1] ?? '';
    return consoleLink(`ai-platform/models/${idOf(this.model.name)}`, project);
  }
  override target(): BindingTarget {
    return { version: this.model.name };
  }
  override targetLabel(): string {
    return idOf(this.model.name);
  }
  override signatures(ctx: NodeContext): Promise<Signature[]> {
    const v = this.model.defaultVersion;
    if (!v) return Promise.reject(new UsageError(`Model ${idOf(this.model.name)} has no default version.`, 'Bind the request to one of its versions instead.'));
    return new AiVersionNode(this, v, true).signatures(ctx);
  }
}

export class AiVersionNode extends WithSignatures {
  readonly contextValue = CloudNodeKinds.aiVersion;
  constructor(
    parent: CloudNode,
    readonly version: AiPlatformVersion,
    readonly isDefault: boolean,
  ) {
    super(parent);
  }
  get id(): string {
    return `aiplatform/${this.version.name}`;
  }
  treeItem(): vscode.TreeItem {
    const v = this.version;
    const item = new vscode.TreeItem(idOf(v.name), vscode.TreeItemCollapsibleState.Collapsed);
    item.description = [this.isDefault ? 'default' : undefined, v.state?.toLowerCase(), v.runtimeVersion ? `runtime ${v.runtimeVersion}` : undefined, v.framework?.toLowerCase()]
      .filter(Boolean)
      .join(' · ');
    const scaling = v.manualScaling ? `manual, ${v.manualScaling.nodes ?? 0} node(s)` : v.autoScaling ? `auto, ${v.autoScaling.minNodes ?? 0}–${v.autoScaling.maxNodes ?? '∞'} nodes` : undefined;
    item.tooltip = [
      v.name,
      v.description,
      `State: ${v.state ?? 'UNKNOWN'}`,
      v.errorMessage ? `Error: ${v.errorMessage}` : undefined,
      v.runtimeVersion ? `Runtime ${v.runtimeVersion}${v.pythonVersion ? `, Python ${v.pythonVersion}` : ''}` : undefined,
      v.framework ? `Framework: ${v.framework}` : undefined,
      v.machineType ? `Machine: ${v.machineType}` : undefined,
      scaling ? `Scaling: ${scaling}` : undefined,
      v.deploymentUri ? `Deployment URI: ${v.deploymentUri}` : undefined,
    ]
      .filter(Boolean)
      .join('\n');
    item.iconPath = new vscode.ThemeIcon(
      v.state === 'FAILED' ? 'error' : this.isDefault ? 'star-full' : 'versions',
      v.state === 'FAILED' ? new vscode.ThemeColor('errorForeground') : undefined,
    );
    return item;
  }
  protected readSignatures(ctx: NodeContext): Promise<Signature[]> {
    return artifactSignatures(ctx, this.version.deploymentUri, `Version ${idOf(this.version.name)}`);
  }
  override resourceName(): string {
    return this.version.name;
  }
  override consoleUrl(): string {
    const m = /^projects\/([^/]+)\/models\/([^/]+)\/versions\/([^/]+)/.exec(this.version.name);
    return consoleLink(`ai-platform/models/${m?.[2] ?? ''}/versions/${m?.[3] ?? ''}`, m?.[1] ?? '');
  }
  override target(): BindingTarget {
    return { version: this.version.name };
  }
  override targetLabel(): string {
    const m = /models\/([^/]+)\/versions\/([^/]+)/.exec(this.version.name);
    return m ? `${m[1]}_${m[2]}` : idOf(this.version.name);
  }
}

// ---------------------------------------------------------------- TF Serving

export class TfServerNode extends CloudNode {
  readonly contextValue = CloudNodeKinds.tfServer;
  constructor(
    readonly server: TfServingServer,
    private readonly problem?: string,
  ) {
    super(undefined);
  }
  get id(): string {
    return `tfserving/${this.server.url}`;
  }
  treeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.server.name, vscode.TreeItemCollapsibleState.Expanded);
    item.description = safeUrl(this.server.url);
    item.tooltip = `TF Serving at ${safeUrl(this.server.url)}`;
    item.iconPath = new vscode.ThemeIcon('server');
    return item;
  }
  override children(): CloudNode[] {
    if (this.problem) return [new ErrorNode(this, new UsageError(this.problem, 'Fix the entry in the setting servelens.tfServing.servers.'))];
    if (!this.server.models.length) {
      return [new MessageNode(this, 'No models configured', 'TF Serving cannot list its models: add their names under "models" in servelens.tfServing.servers.')];
    }
    return this.server.models.map((m) => new TfModelNode(this, this.server, m));
  }
}

/** The URL without credentials. */
function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString().replace(/\/$/, '');
  } catch {
    return url;
  }
}

function tfClient(ctx: NodeContext, server: TfServingServer) {
  const client = ctx.session.tfServingClient(server.url);
  if (!client) throw new UsageError(`TF Serving server ${server.name} is not usable.`, 'Check its entry in servelens.tfServing.servers.');
  return client;
}

export class TfModelNode extends LoadingNode {
  readonly contextValue = CloudNodeKinds.tfModel;
  constructor(
    parent: CloudNode,
    readonly server: TfServingServer,
    readonly model: string,
  ) {
    super(parent);
  }
  get id(): string {
    return `${this.parent!.id}/${this.model}`;
  }
  treeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.model, vscode.TreeItemCollapsibleState.Collapsed);
    item.iconPath = new vscode.ThemeIcon('package');
    item.tooltip = `${safeUrl(this.server.url)}/v1/models/${this.model}`;
    return item;
  }
  protected async load(ctx: NodeContext): Promise<CloudNode[]> {
    const status = await tfClient(ctx, this.server).getModelStatus(this.model);
    const versions = [...status.model_version_status].sort((a, b) => Number(b.version) - Number(a.version));
    return versions.length
      ? versions.map((v) => new TfVersionNode(this, this.server, this.model, v.version, v.state, v.status?.error_message))
      : [new MessageNode(this, 'No versions loaded')];
  }
  override resourceName(): string {
    return `${safeUrl(this.server.url)}/v1/models/${this.model}`;
  }
  override target(): BindingTarget {
    return { tfServing: `${safeUrl(this.server.url)}/v1/models/${this.model}` };
  }
  override targetLabel(): string {
    return this.model;
  }
  override async signatures(ctx: NodeContext): Promise<Signature[]> {
    return servable((await tfClient(ctx, this.server).getSignatures(this.model)).signatures);
  }
}

export class TfVersionNode extends WithSignatures {
  readonly contextValue = CloudNodeKinds.tfVersion;
  constructor(
    parent: CloudNode,
    readonly server: TfServingServer,
    readonly model: string,
    readonly version: string,
    readonly state: string,
    readonly errorMessage?: string,
  ) {
    super(parent);
  }
  get id(): string {
    return `${this.parent!.id}/${this.version}`;
  }
  treeItem(): vscode.TreeItem {
    const available = this.state === 'AVAILABLE';
    const item = new vscode.TreeItem(`version ${this.version}`, available ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
    item.description = this.state.toLowerCase() + (this.errorMessage ? ` · ${this.errorMessage}` : '');
    item.tooltip = `${this.model} version ${this.version}: ${this.state}${this.errorMessage ? `\n${this.errorMessage}` : ''}`;
    item.iconPath = new vscode.ThemeIcon(
      available ? 'versions' : this.errorMessage ? 'error' : 'circle-outline',
      this.errorMessage ? new vscode.ThemeColor('errorForeground') : undefined,
    );
    return item;
  }
  protected async readSignatures(ctx: NodeContext): Promise<Signature[]> {
    return (await tfClient(ctx, this.server).getSignatures(this.model, { version: this.version })).signatures;
  }
  override resourceName(): string {
    return `${safeUrl(this.server.url)}/v1/models/${this.model}/versions/${this.version}`;
  }
  override target(): BindingTarget {
    return { tfServing: this.resourceName() };
  }
  override targetLabel(): string {
    return `${this.model}_${this.version}`;
  }
}

/** Whether an error means "not signed in" (the welcome view is shown instead of an error node). */
export function isSignedOut(err: unknown): boolean {
  return isCloudError(err, 'no-credentials');
}
