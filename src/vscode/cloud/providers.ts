/**
 * The three deployment trees over one CloudSession. `getChildren` never blocks and never asks the
 * user: it awaits the node's own (async) loading, and a failure becomes an ErrorNode with the
 * hint — except "no credentials" at the root, which empties the tree so its welcome view (sign-in
 * guidance, package.json `viewsWelcome`) shows instead.
 */
import * as vscode from 'vscode';
import { describeError } from '../../core/errors';
import { Disposable } from '../lifecycle';
import type { Logger } from '../log';
import { AiProjectNode, CloudNode, ErrorNode, MessageNode, TfServerNode, VertexProjectNode, isSignedOut, type NodeContext } from './nodes';
import type { CloudSession } from './session';

export type CloudTreeKind = 'vertex' | 'aiplatform' | 'tfserving';

export class CloudTreeProvider extends Disposable implements vscode.TreeDataProvider<CloudNode> {
  private readonly changed = this._register(new vscode.EventEmitter<CloudNode | undefined>());
  readonly onDidChangeTreeData = this.changed.event;
  private readonly signedOut = this._register(new vscode.EventEmitter<boolean>());
  /** Fires with true when the root could not be listed for want of credentials, false once it could. */
  readonly onDidChangeSignedOut = this.signedOut.event;
  #roots?: Promise<CloudNode[]>;
  #loads = new Set<Promise<unknown>>();

  constructor(
    readonly kind: CloudTreeKind,
    private session: () => CloudSession,
    private readonly logger: Logger,
  ) {
    super();
  }

  private get ctx(): NodeContext {
    return { session: this.session() };
  }

  getTreeItem(node: CloudNode): vscode.TreeItem {
    const item = node.treeItem();
    item.id = node.id;
    item.contextValue = node.contextValue;
    return item;
  }

  getParent(node: CloudNode): CloudNode | undefined {
    return node.parent;
  }

  async getChildren(node?: CloudNode): Promise<CloudNode[]> {
    const load = node ? this.childrenOf(node) : this.roots();
    this.#loads.add(load);
    try {
      return await load;
    } finally {
      this.#loads.delete(load);
    }
  }

  /** Resolves once every listing started so far has finished (tests, the refresh command). */
  async settled(): Promise<void> {
    while (this.#loads.size) await Promise.allSettled([...this.#loads]);
  }

  private async childrenOf(node: CloudNode): Promise<CloudNode[]> {
    try {
      return await node.children(this.ctx);
    } catch (err) {
      this.logger.warn('cloud', `${this.kind} tree: ${node.id}: ${describeError(err)}`);
      return [new ErrorNode(node, err)];
    }
  }

  private roots(): Promise<CloudNode[]> {
    this.#roots ??= this.loadRoots();
    return this.#roots;
  }

  private async loadRoots(): Promise<CloudNode[]> {
    const session = this.session();
    const notes = session.problems.map((p) => new MessageNode(undefined, p, undefined, 'warning'));
    if (this.kind === 'tfserving') {
      return [...notes, ...session.tfServing.map((e) => new TfServerNode(e.server, e.problem))];
    }
    try {
      const projects = await session.projects();
      this.signedOut.fire(false);
      const nodes = projects.map((p) => (this.kind === 'vertex' ? new VertexProjectNode(p) : new AiProjectNode(p)));
      return [...notes, ...nodes];
    } catch (err) {
      this.#roots = undefined; // ask again on the next refresh or expansion
      if (isSignedOut(err)) {
        this.logger.info('cloud', `${this.kind} tree: not signed in (${describeError(err)})`);
        this.signedOut.fire(true);
        return [];
      }
      this.logger.warn('cloud', `${this.kind} tree: ${describeError(err)}`);
      return [...notes, new ErrorNode(undefined, err)];
    }
  }

  /** Forgets what a node (or, without one, the whole tree) loaded and shows it again. */
  refresh(node?: CloudNode): void {
    if (node) {
      node.reset();
      this.changed.fire(node);
    } else {
      this.#roots = undefined;
      this.changed.fire(undefined);
    }
  }

  /** Shows a node again without forgetting what it loaded ("Load more" appends a page). */
  redraw(node: CloudNode | undefined): void {
    this.changed.fire(node);
  }
}
