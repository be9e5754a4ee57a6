import * as vscode from 'vscode';
import type { RenderedSnapshot } from '../../../webview/shared/protocol';
import { CustomEditors } from '../constants';
import type { Logger } from '../log';
import type { ModelCache } from '../models/modelCache';
import { InspectorDocument } from './inspectorDocument';
import { InspectorPanel } from './inspectorPanel';

export interface InspectorSnapshot {
  /** The model file shown (a `file:` URI, as text). */
  uri: string;
  viewType: string;
  snapshot: RenderedSnapshot;
}

/** What the inspector exposes through the extension's API (used by the integration tests). */
export interface InspectorApi {
  /** The last render of every open inspector panel. */
  snapshots(): InspectorSnapshot[];
  /** Fires each time a panel has rendered (after the first post and after every re-read). */
  readonly onDidRender: vscode.Event<InspectorSnapshot>;
}

/** The SavedModel inspector for one view type (`servelens.inspector` or `servelens.inspector.tfjs`). */
class InspectorEditorProvider implements vscode.CustomReadonlyEditorProvider<InspectorDocument> {
  constructor(
    private readonly viewType: string,
    private readonly extensionUri: vscode.Uri,
    private readonly cache: ModelCache,
    private readonly logger: Logger,
    private readonly panels: Set<InspectorPanel>,
    private readonly rendered: vscode.EventEmitter<InspectorSnapshot>,
  ) {}

  openCustomDocument(uri: vscode.Uri): InspectorDocument {
    const doc = new InspectorDocument(uri, this.cache, this.logger);
    void doc.load();
    return doc;
  }

  resolveCustomEditor(document: InspectorDocument, webviewPanel: vscode.WebviewPanel): void {
    new InspectorPanel(
      document,
      webviewPanel,
      this.extensionUri,
      this.logger,
      (p, snapshot) => this.rendered.fire({ uri: p.uri.toString(), viewType: this.viewType, snapshot }),
      this.panels,
    );
  }
}

/** Registers both inspector custom editors; every registration is owned by `context.subscriptions`. */
export function registerInspector(context: vscode.ExtensionContext, logger: Logger, cache: ModelCache): InspectorApi {
  const panels = new Set<InspectorPanel>();
  const rendered = new vscode.EventEmitter<InspectorSnapshot>();
  context.subscriptions.push(rendered, { dispose: () => [...panels].forEach((p) => p.dispose()) });
  for (const viewType of [CustomEditors.inspector, CustomEditors.inspectorTfjs]) {
    context.subscriptions.push(
      vscode.window.registerCustomEditorProvider(
        viewType,
        new InspectorEditorProvider(viewType, context.extensionUri, cache, logger, panels, rendered),
        { supportsMultipleEditorsPerDocument: true, webviewOptions: { retainContextWhenHidden: false } },
      ),
    );
  }
  const viewTypeOf = (p: InspectorPanel) => p.panel.viewType;
  return {
    snapshots: () =>
      [...panels]
        .filter((p) => p.snapshot !== undefined)
        .map((p) => ({ uri: p.uri.toString(), viewType: viewTypeOf(p), snapshot: p.snapshot! })),
    onDidRender: rendered.event,
  };
}
