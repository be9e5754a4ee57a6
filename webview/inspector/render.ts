/**
 * Builds the inspector's DOM from a host message. Pure DOM construction: the callbacks it is given
 * (`Actions`) are the only way it talks back to the host.
 */
import type { LintFinding, MetaGraphSummary, ModelFormat, Signature, TensorSpec } from '../../src/core/model/types';
import type { InspectorError, InspectorModel } from '../shared/protocol';
import { formatShape } from '../shared/protocol';
import { el, formatBytes, grid, plural } from './dom';

export interface Actions {
  copySignature(metaGraph: number, signature: string): void;
  newRequest(metaGraph: number, signature: string): void;
  openVersion(version: string): void;
  reload(): void;
}

/** The tab ids; the selected one is kept in the webview state. */
export const Tabs = {
  signatures: 'tab-signatures',
  lint: 'tab-lint',
  variables: 'tab-variables',
  assets: 'tab-assets',
  details: 'tab-details',
} as const;

/** The most variable rows drawn; the totals always cover all of them. */
const MAX_VARIABLE_ROWS = 2000;

const FORMAT_NAMES: Record<ModelFormat, string> = {
  savedmodel: 'SavedModel',
  'tfjs-graph': 'TF.js graph model',
  'tfjs-layers': 'TF.js layers model',
};

const SEVERITY_ICON: Record<LintFinding['severity'], string> = { error: '✖', warning: '⚠', info: 'ℹ' };

function baseName(p: string): string {
  const parts = p.split(/[\\/]/);
  return parts[parts.length - 1] || p;
}

function isInternal(name: string): boolean {
  return name.startsWith('__');
}

function tagsKey(tags: string[]): string {
  return [...tags].sort().join(',');
}

/** Findings about one signature of one tag-set. */
function findingsFor(lint: LintFinding[], mg: MetaGraphSummary, sig: Signature): LintFinding[] {
  return lint.filter(
    (f) => f.signature === sig.name && (f.tags === undefined || tagsKey(f.tags) === tagsKey(mg.tags)),
  );
}

function severityIcon(sev: LintFinding['severity']): HTMLElement {
  return el('span', { class: 'sev-icon', 'aria-label': sev, title: sev }, SEVERITY_ICON[sev]);
}

function findingItem(f: LintFinding, withWhere: boolean): HTMLElement {
  const where: string[] = [];
  if (withWhere) {
    if (f.tags) where.push(`tags ${f.tags.join(',') || '(none)'}`);
    if (f.signature) where.push(`signature ${f.signature}`);
  }
  if (f.alias) where.push(`alias ${f.alias}`);
  if (f.op) where.push(`op ${f.op}`);
  if (f.node) where.push(`node ${f.node}`);
  return el(
    'li',
    { class: `finding sev-${f.severity}`, 'data-severity': f.severity, 'data-code': f.code },
    severityIcon(f.severity),
    el(
      'div',
      {},
      el('span', { class: 'finding-message' }, f.message),
      ' ',
      el('span', { class: 'finding-code' }, `(${f.code})`),
      where.length ? el('div', { class: 'finding-where' }, where.join(' · ')) : null,
      f.fix ? el('div', { class: 'finding-fix' }, f.fix) : null,
    ),
  );
}

function tensorRows(specs: TensorSpec[]): string[][] {
  return specs.map((t) => [
    t.alias,
    t.dtype,
    formatShape(t.shape),
    t.encoding ? `${t.tensor} (${t.encoding})` : t.tensor,
  ]);
}

const TENSOR_COLUMNS = [
  { title: 'Alias', width: '1.2fr', cls: 'c-alias' },
  { title: 'DType', width: '1fr', cls: 'c-dtype' },
  { title: 'Shape', width: '1fr', cls: 'c-shape' },
  { title: 'Tensor', width: '2fr', cls: 'c-tensor' },
];

function tensorSection(title: string, specs: TensorSpec[], cls: string, sigName: string): HTMLElement[] {
  const head = el('h4', {}, `${title} (${specs.length})`);
  if (specs.length === 0) return [head, el('p', { class: `none ${cls}` }, `No ${title.toLowerCase()}.`)];
  return [head, grid(`${title} of ${sigName}`, TENSOR_COLUMNS, tensorRows(specs), cls)];
}

function signatureCard(model: InspectorModel, mg: MetaGraphSummary, mi: number, sig: Signature, act: Actions): HTMLElement {
  const copy = el('vscode-button', { appearance: 'secondary', class: 'copy-json', title: 'Copy this signature as JSON' }, 'Copy as JSON');
  copy.addEventListener('click', () => act.copySignature(mi, sig.name));
  const actions = el('div', { class: 'actions' }, copy);
  if (sig.inputs.length > 0 && !isInternal(sig.name)) {
    const req = el('vscode-button', { class: 'new-request', title: 'Open a new request body for this signature' }, 'New request from this signature');
    req.addEventListener('click', () => act.newRequest(mi, sig.name));
    actions.appendChild(req);
  }
  const findings = findingsFor(model.lint, mg, sig);
  return el(
    'section',
    {
      class: `signature${isInternal(sig.name) ? ' internal' : ''}`,
      'data-metagraph': String(mi),
      'data-name': sig.name,
      'aria-label': `Signature ${sig.name}`,
    },
    el(
      'div',
      { class: 'signature-head' },
      el('h3', { class: 'signature-name' }, sig.name),
      el('code', { class: 'signature-method', title: 'method_name' }, sig.method || '(no method)'),
      actions,
    ),
    findings.length ? el('ul', { class: 'findings' }, ...findings.map((f) => findingItem(f, false))) : null,
    ...tensorSection('Inputs', sig.inputs, 'inputs', sig.name),
    ...tensorSection('Outputs', sig.outputs, 'outputs', sig.name),
  );
}

function signaturesView(model: InspectorModel, act: Actions): HTMLElement {
  const view = el('div', { class: 'signatures-view' });
  const mgs = model.summary.metaGraphs;
  if (mgs.length === 0) view.appendChild(el('p', { class: 'none' }, 'This model has no MetaGraphDef.'));
  mgs.forEach((mg, mi) => {
    const title = model.summary.format === 'savedmodel' ? `Tag-set: ${mg.tags.join(', ') || '(no tags)'}` : 'Signature';
    const section = el(
      'div',
      { class: 'metagraph', 'data-tags': mg.tags.join(',') },
      el('h2', {}, title),
      el(
        'div',
        { class: 'facts' },
        mg.tfVersion ? el('span', {}, el('span', { class: 'fact-label' }, 'TensorFlow'), mg.tfVersion) : null,
        model.summary.format === 'savedmodel'
          ? el('span', {}, el('span', { class: 'fact-label' }, 'Export'), mg.hasObjectGraph ? 'TF2 (object graph)' : 'TF1 (graph + saver)')
          : null,
        el('span', {}, plural(mg.signatures.length, 'signature')),
      ),
    );
    if (mg.signatures.length === 0) section.appendChild(el('p', { class: 'none' }, 'No signatures in this tag-set.'));
    // serving_default first, TensorFlow's internal signatures last, the rest by name.
    const order = [...mg.signatures].sort((a, b) => rank(a.name) - rank(b.name) || a.name.localeCompare(b.name));
    for (const sig of order) section.appendChild(signatureCard(model, mg, mi, sig, act));
    view.appendChild(section);
  });
  return view;
}

function rank(name: string): number {
  if (name === 'serving_default') return 0;
  return isInternal(name) ? 2 : 1;
}

function lintView(model: InspectorModel): HTMLElement {
  const pending = model.opsPending
    ? el('p', { class: 'none ops-pending', role: 'status' }, 'Scanning the graph for ops that serving does not support…')
    : null;
  if (model.lint.length === 0) {
    return el('div', {}, pending, el('p', { class: 'none lint-none' }, pending ? 'No problems found so far.' : 'No deployment problems found.'));
  }
  const order = { error: 0, warning: 1, info: 2 } as const;
  const sorted = [...model.lint].sort((a, b) => order[a.severity] - order[b.severity]);
  return el('div', {}, pending, el('ul', { class: 'findings lint-list' }, ...sorted.map((f) => findingItem(f, true))));
}

function variablesView(model: InspectorModel): HTMLElement {
  const view = el('div', { class: 'variables-view' });
  if (model.variablesError) {
    view.appendChild(
      el('div', { class: 'error-box' }, el('div', { class: 'error-message' }, 'The variables could not be read.'), el('div', {}, model.variablesError)),
    );
  }
  const vars = model.variables;
  if (!vars) {
    if (!model.variablesError) view.appendChild(el('p', { class: 'none' }, 'No variables/ folder beside this model.'));
    return view;
  }
  let bytes = 0;
  let elements = 0;
  const byDtype = new Map<string, number>();
  for (const v of vars) {
    bytes += v.bytes;
    elements += v.shape.reduce((a, b) => a * b, 1);
    byDtype.set(v.dtype, (byDtype.get(v.dtype) ?? 0) + 1);
  }
  view.appendChild(
    el(
      'p',
      { class: 'totals' },
      `${plural(vars.length, 'variable')}, ${elements.toLocaleString('en-US')} values, ${formatBytes(bytes)} in total`,
      byDtype.size ? ` (${[...byDtype].map(([d, n]) => `${d}: ${n}`).join(', ')})` : '',
    ),
  );
  if (vars.length === 0) return view;
  const rows = vars.slice(0, MAX_VARIABLE_ROWS).map((v) => [
    v.key,
    v.dtype,
    formatShape(v.shape),
    formatBytes(v.bytes),
    String(v.shard),
  ]);
  view.appendChild(
    grid(
      'Variables',
      [
        { title: 'Key', width: '3fr', cls: 'c-key' },
        { title: 'DType', width: '1fr', cls: 'c-dtype' },
        { title: 'Shape', width: '1fr', cls: 'c-shape' },
        { title: 'Size', width: '0.8fr', cls: 'c-size' },
        { title: 'Shard', width: '0.5fr', cls: 'c-shard' },
      ],
      rows,
      'variables',
    ),
  );
  if (vars.length > MAX_VARIABLE_ROWS) {
    view.appendChild(el('p', { class: 'none' }, `Showing the first ${MAX_VARIABLE_ROWS} of ${vars.length} variables.`));
  }
  return view;
}

function assetsView(model: InspectorModel): HTMLElement {
  if (model.assets.length === 0) return el('p', { class: 'none' }, 'No assets.');
  const total = model.assets.reduce((a, b) => a + (b.bytes ?? 0), 0);
  return el(
    'div',
    {},
    el('p', { class: 'totals' }, `${plural(model.assets.length, 'asset')}, ${formatBytes(total)}`),
    grid(
      'Assets',
      [
        { title: 'File', width: '3fr', cls: 'c-mono' },
        { title: 'Size', width: '1fr', cls: 'c-size' },
      ],
      model.assets.map((a) => [a.filename, a.bytes === undefined ? 'missing' : formatBytes(a.bytes)]),
      'assets',
    ),
  );
}

function detailsView(model: InspectorModel): HTMLElement {
  const s = model.summary;
  const rows: string[][] = [
    ['Format', FORMAT_NAMES[s.format]],
    ['File', s.file],
    ['File size', `${formatBytes(model.fileBytes)} (${model.fileBytes.toLocaleString('en-US')} bytes)`],
    ['Directory', s.dir],
  ];
  if (model.version !== undefined) rows.push(['Version', model.version]);
  if (model.versions.length) rows.push(['Versions present', model.versions.join(', ')]);
  if (s.schemaVersion !== undefined) rows.push(['Schema version', String(s.schemaVersion)]);
  s.metaGraphs.forEach((mg) => {
    const tags = mg.tags.join(',') || '(no tags)';
    if (mg.tfVersion) rows.push([`TensorFlow version [${tags}]`, mg.tfVersion]);
    if (mg.tfGitVersion) rows.push([`TensorFlow git version [${tags}]`, mg.tfGitVersion]);
    if (mg.strippedOps) rows.push([`Ops recorded [${tags}]`, String(mg.strippedOps.length)]);
  });
  if (s.fingerprint) {
    const f = s.fingerprint;
    rows.push(
      ['Fingerprint: saved_model_checksum', f.savedModelChecksum],
      ['Fingerprint: graph_def_program_hash', f.graphDefProgramHash],
      ['Fingerprint: signature_def_hash', f.signatureDefHash],
      ['Fingerprint: saved_object_graph_hash', f.savedObjectGraphHash],
      ['Fingerprint: checkpoint_hash', f.checkpointHash],
    );
    if (f.version) rows.push(['Fingerprint: producer', String(f.version.producer)]);
  } else if (s.format === 'savedmodel') {
    rows.push(['Fingerprint', 'none (fingerprint.pb is written by TensorFlow 2.12 and later)']);
  }
  if (s.weights) {
    rows.push(['Weights', `${plural(s.weights.count, 'tensor')} in ${plural(s.weights.files, 'file')}, ${formatBytes(s.weights.bytes)}`]);
  }
  if (s.generatedBy) rows.push(['Generated by', s.generatedBy]);
  if (s.convertedBy) rows.push(['Converted by', s.convertedBy]);
  return grid(
    'Details',
    [
      { title: 'Property', width: '1fr', cls: 'c-prop' },
      { title: 'Value', width: '2fr', cls: 'c-mono' },
    ],
    rows,
    'details',
  );
}

function counts(lint: LintFinding[]): HTMLElement | null {
  const n = { error: 0, warning: 0, info: 0 };
  for (const f of lint) n[f.severity]++;
  const parts = (['error', 'warning', 'info'] as const)
    .filter((s) => n[s] > 0)
    .map((s) => el('span', { class: `sev sev-${s}` }, severityIcon(s), plural(n[s], s === 'info' ? 'note' : s)));
  return parts.length ? el('div', { class: 'counts lint-counts' }, ...parts) : null;
}

function header(file: string, model: InspectorModel, act: Actions): HTMLElement[] {
  const s = model.summary;
  const tf = [...new Set(s.metaGraphs.map((m) => m.tfVersion).filter((v): v is string => !!v))];
  let versions: HTMLElement | null = null;
  if (model.versions.length > 0) {
    versions = el('span', { class: 'versions' }, el('span', { class: 'fact-label' }, model.versions.length > 1 ? 'Versions' : 'Version'));
    for (const v of model.versions) {
      if (v === model.version) {
        versions.appendChild(el('span', { class: 'version-current', 'aria-current': 'true' }, v));
      } else {
        const link = el('vscode-link', { href: '#', class: 'version-link', title: `Open version ${v}` }, v);
        link.addEventListener('click', (e) => {
          e.preventDefault();
          act.openVersion(v);
        });
        versions.appendChild(link);
      }
    }
  }
  return [
    el('h1', {}, el('span', { class: 'file-name' }, baseName(file)), el('span', { class: 'badge format' }, FORMAT_NAMES[s.format])),
    el('p', { class: 'path' }, s.dir),
    el(
      'div',
      { class: 'facts' },
      versions,
      tf.length ? el('span', {}, el('span', { class: 'fact-label' }, 'TensorFlow'), tf.join(', ')) : null,
      s.schemaVersion !== undefined ? el('span', {}, el('span', { class: 'fact-label' }, 'Schema'), String(s.schemaVersion)) : null,
      el('span', {}, el('span', { class: 'fact-label' }, 'Size'), formatBytes(model.fileBytes)),
      s.fingerprint ? el('span', { title: 'saved_model_checksum' }, el('span', { class: 'fact-label' }, 'Fingerprint'), s.fingerprint.savedModelChecksum) : null,
    ),
    counts(model.lint) ?? el('div', { class: 'counts' }),
  ];
}

function tab(id: string, title: string): HTMLElement {
  return el('vscode-panel-tab', { id }, title);
}

/** The whole model view. `activeTab` selects the tab shown first. */
export function renderModel(file: string, model: InspectorModel, activeTab: string, act: Actions): HTMLElement[] {
  const sigCount = model.summary.metaGraphs.reduce((a, m) => a + m.signatures.length, 0);
  const panels = el('vscode-panels', { 'aria-label': 'Model', activeid: activeTab, class: 'tabs' });
  panels.append(
    tab(Tabs.signatures, `Signatures (${sigCount})`),
    tab(Tabs.lint, `Lint (${model.lint.length}${model.opsPending ? '…' : ''})`),
    tab(Tabs.variables, model.variables ? `Variables (${model.variables.length})` : 'Variables'),
    tab(Tabs.assets, `Assets (${model.assets.length})`),
    tab(Tabs.details, 'Details'),
    el('vscode-panel-view', { id: `view-${Tabs.signatures}` }, signaturesView(model, act)),
    el('vscode-panel-view', { id: `view-${Tabs.lint}` }, lintView(model)),
    el('vscode-panel-view', { id: `view-${Tabs.variables}` }, variablesView(model)),
    el('vscode-panel-view', { id: `view-${Tabs.assets}` }, assetsView(model)),
    el('vscode-panel-view', { id: `view-${Tabs.details}` }, detailsView(model)),
  );
  return [...header(file, model, act), panels];
}

export function renderError(file: string, error: InspectorError, act: Actions): HTMLElement[] {
  const details: string[] = [];
  if (error.file) details.push(`File: ${error.file}`);
  if (error.offset !== undefined) details.push(`Byte offset: ${error.offset}`);
  if (error.line !== undefined) details.push(`Line ${error.line}, column ${error.column ?? 1}`);
  if (error.expected) details.push(`Expected: ${error.expected}`);
  const reload = el('vscode-button', { appearance: 'secondary', class: 'reload' }, 'Read again');
  reload.addEventListener('click', () => act.reload());
  return [
    el('h1', {}, el('span', { class: 'file-name' }, baseName(file))),
    el('p', { class: 'path' }, file),
    el(
      'div',
      { class: 'error-box', role: 'alert', 'data-kind': error.kind },
      el('div', { class: 'error-message' }, error.message),
      error.hint ? el('div', { class: 'error-hint' }, error.hint) : null,
      details.length ? el('div', { class: 'error-details' }, ...details.map((d) => el('div', {}, d))) : null,
    ),
    reload,
  ];
}

export function renderLoading(file: string): HTMLElement[] {
  return [
    el('h1', {}, el('span', { class: 'file-name' }, baseName(file))),
    el('div', { class: 'loading', role: 'status' }, el('span', { class: 'spinner', 'aria-hidden': 'true' }), `Reading ${file}…`),
  ];
}
