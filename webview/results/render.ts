/**
 * Builds the Results view's DOM for one call: a header with the actions, the error and its
 * diagnosis, the call's facts, and tabs — the predictions table, the attribution charts, the raw
 * response (formatted, or exactly as sent), the request, and the comparison with the previous call.
 * The table and charts come from present.ts; text always goes through `textContent`.
 */
import type { Cell, ResultsTable } from '../../src/core/predict/present';
import { MAX_PRETTY_CHARS, presentResponse, prettyValue, type JsonValue } from '../../src/core/predict/present';
import { el, formatBytes, grid, plural } from '../inspector/dom';
import type { CompareResult, ResultsAction, ResultsRecord, ResultsViewState } from '../shared/results';
import { attributionSvg } from './chart';

export const ResultsTabs = {
  table: 'tab-table',
  explain: 'tab-explain',
  raw: 'tab-raw',
  request: 'tab-request',
  compare: 'tab-compare',
} as const;

export interface RenderCallbacks {
  act(action: ResultsAction): void;
  rawMode(mode: ResultsViewState['raw']): void;
}

export interface Rendered {
  nodes: HTMLElement[];
  table: ResultsTable;
  failed: boolean;
  /** The tab shown first (the saved one when this render has it). */
  tab: string;
}

const ACTION_LABELS: Record<ResultsAction, string> = {
  save: 'Save Response…',
  copyCurl: 'Copy as curl',
  copyGcloud: 'Copy as gcloud',
  rerun: 'Re-run',
  compare: 'Compare with Previous',
};

const FORMAT_NAMES: Record<ResultsTable['format'], string> = {
  predictions: 'row (predictions)',
  columnar: 'columnar (outputs)',
  classify: 'classify (result)',
  regress: 'regress (result)',
  explain: 'explanations',
  error: 'error',
  unrecognized: 'unrecognized JSON',
  text: 'not JSON',
};

function fact(label: string, value: string, title?: string): HTMLElement {
  return el('span', { class: 'fact', title }, el('span', { class: 'fact-label' }, label), el('span', { class: 'fact-value' }, value));
}

function time(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

function facts(record: ResultsRecord, table: ResultsTable): HTMLElement {
  const e = record.entry;
  const s = table.served;
  const items: (HTMLElement | null)[] = [
    fact('Op', e.op === 'explain' ? 'Explain' : 'Predict'),
    fact('Target', e.target.label, e.target.name),
    e.target.name !== e.target.label ? fact('Name', e.target.name) : null,
    fact('Time', time(e.time), e.time),
    e.latencyMs !== undefined ? fact('Latency', `${e.latencyMs} ms`) : null,
    fact('Request', formatBytes(e.requestBytes)),
    e.responseBytes !== undefined ? fact('Response', formatBytes(e.responseBytes)) : null,
    e.httpStatus !== undefined ? fact('HTTP', String(e.httpStatus)) : null,
    (e.deployedModelId ?? s.deployedModelId) ? fact('Deployed model', (e.deployedModelId ?? s.deployedModelId)!) : null,
    s.modelDisplayName ? fact('Model', s.modelDisplayName, s.model) : s.model ? fact('Model', s.model) : null,
    s.modelVersionId ? fact('Model version', s.modelVersionId) : null,
    record.signature ? fact('Signature', record.signature.name) : null,
    record.response !== undefined ? fact('Format', FORMAT_NAMES[table.format]) : null,
    e.file ? fact('File', e.file) : null,
  ];
  return el('div', { class: 'facts meta' }, ...items);
}

function header(record: ResultsRecord, failed: boolean, busy: ReadonlySet<ResultsAction>, cb: RenderCallbacks): HTMLElement {
  const e = record.entry;
  const shown: ResultsAction[] = [];
  if (record.response !== undefined && !e.bodiesDropped) shown.push('save');
  if (record.commands?.curl) shown.push('copyCurl');
  if (record.commands?.gcloud) shown.push('copyGcloud');
  shown.push('rerun', 'compare');
  const buttons = shown.map((a) => {
    const b = el('vscode-button', { class: 'action', 'data-action': a, appearance: a === 'rerun' ? 'primary' : 'secondary' }, ACTION_LABELS[a]);
    if (busy.has(a)) b.setAttribute('disabled', '');
    b.addEventListener('click', () => {
      if (!b.hasAttribute('disabled')) cb.act(a);
    });
    return b;
  });
  const status = failed ? `Error${e.httpStatus ? ` · HTTP ${e.httpStatus}` : ''}` : `OK${e.httpStatus ? ` · ${e.httpStatus}` : ''}`;
  return el(
    'header',
    {},
    el(
      'h1',
      {},
      el('span', { class: 'op' }, e.op === 'explain' ? 'Explain' : 'Predict'),
      el('span', { class: 'target-label' }, e.target.label),
      el('span', { class: `badge status ${failed ? 'status-error' : 'status-ok'}` }, status),
    ),
    el('div', { class: 'actions' }, ...buttons),
  );
}

function errorBox(record: ResultsRecord, table: ResultsTable): HTMLElement {
  const d = record.diagnosis;
  const summary = d?.summary ?? record.entry.error ?? table.error ?? 'The call failed.';
  const server = d?.serverMessage ?? (d ? undefined : table.error !== summary ? table.error : undefined);
  const box = el(
    'section',
    { class: 'error-box', role: 'alert', 'data-code': d?.code },
    el('div', { class: 'error-summary' }, summary),
  );
  if (server) box.append(el('div', { class: 'error-label' }, 'The service said'), el('pre', { class: 'server-message' }, server));
  if (d?.didYouMean) box.append(el('div', { class: 'did-you-mean' }, `Did you mean "${d.didYouMean}"${d.asked ? ` instead of "${d.asked}"` : ''}?`));
  if (d?.expected?.length) {
    box.append(el('div', { class: 'expected' }, el('span', { class: 'fact-label' }, 'Expected one of'), d.expected.join(', ')));
  }
  if (d?.shapes?.length) {
    box.append(
      grid(
        'Input shapes',
        [
          { title: 'Input', width: '1fr', cls: 'c-mono' },
          { title: 'Signature shape', width: '1fr', cls: 'c-mono' },
          { title: 'Request sends', width: '1fr', cls: 'c-mono' },
        ],
        d.shapes.map((s) => [s.alias, s.expected === null ? 'unknown rank' : `[${s.expected.join(', ')}]`, `[${s.sent.join(', ')}]`]),
        'shapes',
      ),
    );
  }
  if (d?.nextSteps.length) box.append(el('div', { class: 'error-label' }, 'Next steps'), el('ol', { class: 'next-steps' }, ...d.nextSteps.map((s) => el('li', {}, s))));
  return box;
}

function cellNode(c: Cell): HTMLElement {
  switch (c.kind) {
    case 'scalar':
      return el('span', { class: 'v-scalar' }, c.text);
    case 'list':
    case 'text':
      return el('code', { class: `v-${c.kind}` }, c.text);
    case 'folded': {
      const more = c.count - c.values.length;
      return el(
        'details',
        { class: 'folded' },
        el(
          'summary',
          {},
          el('span', { class: 'fold-summary' }, c.text),
          el('code', { class: 'fold-head' }, `${c.head.join(', ')}${c.count > c.head.length ? ', …' : ''}`),
        ),
        el('pre', { class: 'fold-values' }, c.values.join(', ') + (more > 0 ? `, … ${more} more` : '')),
      );
    }
    case 'topk': {
      const max = Math.max(...c.items.map((i) => Math.abs(i.score)), 0);
      const list = el('ol', { class: 'topk', title: `Top ${c.items.length} of ${c.of}` });
      for (const item of c.items) {
        const bar = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
        bar.setAttribute('class', 'score-bar');
        bar.setAttribute('width', '60');
        bar.setAttribute('height', '8');
        bar.setAttribute('aria-hidden', 'true');
        const rect = document.createElementNS('http://www.w3.org/2000/svg', 'rect');
        rect.setAttribute('width', String(max > 0 && item.score > 0 ? Math.max(1, (60 * item.score) / max) : 0));
        rect.setAttribute('height', '8');
        bar.appendChild(rect);
        list.appendChild(el('li', {}, el('span', { class: 'topk-label' }, item.label || '""'), ' ', el('span', { class: 'topk-score' }, item.scoreText), bar));
      }
      return list;
    }
    case 'b64': {
      const wrap = el('span', { class: 'v-b64' }, c.text);
      if (c.data && c.mime) wrap.prepend(el('img', { class: 'thumb', src: `data:${c.mime};base64,${c.data}`, alt: c.text }));
      return wrap;
    }
  }
}

function tableView(table: ResultsTable, record: ResultsRecord): HTMLElement {
  const view = el('div', { class: 'table-view' });
  if (table.notes.length) view.append(el('ul', { class: 'notes' }, ...table.notes.map((n) => el('li', {}, n))));
  if (table.rows.length === 0) {
    view.append(el('p', { class: 'none' }, record.response === undefined ? 'No response body.' : 'No predictions to show: see the raw response.'));
    return view;
  }
  const head = el('tr', {}, el('th', { class: 'c-index' }, '#'));
  if (table.inputs) head.append(el('th', { class: 'c-input' }, 'Instance'));
  for (const c of table.columns) {
    head.append(el('th', { title: c.dtype ? `${c.dtype} ${c.shape ?? ''}`.trim() : undefined }, c.name));
  }
  const body = el('tbody');
  table.rows.forEach((row, i) => {
    const tr = el('tr', {}, el('td', { class: 'c-index' }, String(i)));
    if (table.inputs) tr.append(el('td', { class: 'c-input' }, el('code', {}, table.inputs[i] ?? '')));
    for (const c of row) tr.append(el('td', { class: `k-${c.kind}` }, cellNode(c)));
    body.append(tr);
  });
  view.append(el('table', { class: 'predictions' }, el('thead', {}, head), body));
  return view;
}

function explainView(table: ResultsTable): HTMLElement {
  const view = el('div', { class: 'explain-view' });
  if (table.explanations.length === 0) {
    view.append(el('p', { class: 'none' }, 'No attributions in the answer.'));
    return view;
  }
  for (const c of table.explanations) {
    const title = `Instance ${c.instance} · ${c.output}${c.outputIndex && c.outputIndex.length ? ` [${c.outputIndex.join(', ')}]` : ''}`;
    view.append(
      el(
        'section',
        { class: 'chart', 'data-instance': String(c.instance) },
        el('h3', { class: 'chart-title' }, title),
        el(
          'div',
          { class: 'facts' },
          c.baseline !== undefined ? fact('Baseline output', c.baseline) : null,
          c.instanceValue !== undefined ? fact('Instance output', c.instanceValue) : null,
          c.approximationError !== undefined ? fact('Approximation error', c.approximationError) : null,
          fact('Features', String(c.total)),
        ),
        c.bars.length ? el('div', { class: 'chart-scroll' }, attributionSvg(c, `Feature attributions, ${title}`) as unknown as HTMLElement) : el('p', { class: 'none' }, 'No numeric attributions.'),
        c.more > 0 ? el('p', { class: 'chart-more' }, `${c.more} more`) : null,
      ),
    );
  }
  return view;
}

function rawView(record: ResultsRecord, value: JsonValue | undefined, mode: ResultsViewState['raw'], cb: RenderCallbacks): HTMLElement {
  const view = el('div', { class: 'raw-view' });
  const text = record.response;
  if (text === undefined) {
    view.append(el('p', { class: 'none' }, record.entry.bodiesDropped ? 'The bodies of this call were too large to keep.' : 'The call has no response body.'));
    return view;
  }
  // The body as the table read it (read once per render); formatted only when that view is shown.
  const formattable = !record.responseCut && value !== undefined && text.length <= MAX_PRETTY_CHARS;
  let formatted: string | undefined;
  const prettyText = () => (formatted ??= prettyValue(value!));
  const pretty = formattable ? prettyText : undefined;
  const pre = el('pre', { class: 'raw', tabindex: '0' });
  const show = (m: ResultsViewState['raw']) => {
    pre.textContent = m === 'pretty' && pretty !== undefined ? pretty() : text;
    pre.setAttribute('data-mode', m === 'pretty' && pretty !== undefined ? 'pretty' : 'exact');
  };
  if (pretty !== undefined) {
    const buttons = (['pretty', 'exact'] as const).map((m) =>
      el('vscode-button', { class: 'raw-mode', 'data-mode': m, appearance: m === mode ? 'primary' : 'secondary' }, m === 'pretty' ? 'Formatted' : 'Exactly as sent'),
    );
    buttons.forEach((b, i) =>
      b.addEventListener('click', () => {
        const m = i === 0 ? 'pretty' : 'exact';
        buttons.forEach((o, j) => o.setAttribute('appearance', i === j ? 'primary' : 'secondary'));
        show(m);
        cb.rawMode(m);
      }),
    );
    view.append(el('div', { class: 'raw-toolbar' }, ...buttons, el('span', { class: 'hint' }, 'Numbers are shown as the service wrote them.')));
  } else if (!record.responseCut) {
    view.append(el('p', { class: 'hint' }, 'Shown exactly as sent (not JSON, or too long to format).'));
  }
  if (record.responseCut) {
    view.append(el('p', { class: 'hint' }, `The response is too long to show here: these are its first ${formatBytes(text.length)}. Save Response… writes all of it.`));
  }
  show(mode);
  view.append(pre);
  return view;
}

function requestView(record: ResultsRecord): HTMLElement {
  if (record.request === undefined) return el('p', { class: 'none' }, 'The request body was not kept.');
  return el('pre', { class: 'raw request', tabindex: '0' }, record.request);
}

function delta(n: number): string {
  return `${n >= 0 ? '+' : ''}${Number(n.toPrecision(6))}`;
}

export function compareView(result: CompareResult): HTMLElement {
  const view = el('div', { class: 'compare' });
  if (result.kind === 'none') {
    view.append(el('p', { class: 'compare-summary' }, result.message));
    return view;
  }
  const when = `the previous call (${time(result.previous.time)})`;
  if (result.same) {
    view.append(el('p', { class: 'compare-summary identical' }, `Identical to ${when}${result.numbers ? `: ${plural(result.numbers, 'number')} compared` : ''}.`));
    return view;
  }
  if (result.notJson) {
    view.append(el('p', { class: 'compare-summary' }, `Differs from ${when}; the bodies are not JSON, so they were compared as text.`));
    return view;
  }
  view.append(
    el(
      'p',
      { class: 'compare-summary' },
      `Differs from ${when}: ${result.changedNumbers} of ${plural(result.numbers, 'number')} changed` +
        (result.changedNumbers ? `, largest |Δ| ${Number(result.maxAbsDelta.toPrecision(6))}, mean |Δ| ${Number(result.meanAbsDelta.toPrecision(6))}` : '') +
        '.',
    ),
  );
  const perOutput: string[][] = [];
  for (const inst of result.instances) {
    for (const [out, d] of Object.entries(inst.outputs)) if (d > 0) perOutput.push([String(inst.index), out || '(value)', String(Number(d.toPrecision(6)))]);
    if (inst.structural) perOutput.push([String(inst.index), '(structure)', plural(inst.structural, 'change')]);
  }
  if (perOutput.length) {
    view.append(
      el('h4', {}, 'Per instance'),
      grid(
        'Largest change per instance and output',
        [
          { title: 'Instance', width: '0.6fr', cls: 'c-index' },
          { title: 'Output', width: '1fr', cls: 'c-mono' },
          { title: 'Largest |Δ|', width: '1fr', cls: 'c-mono' },
        ],
        perOutput,
        'compare-instances',
      ),
    );
  }
  if (result.changes.length) {
    view.append(
      el('h4', {}, 'Changes'),
      grid(
        'Changed values',
        [
          { title: 'Path', width: '1.4fr', cls: 'c-mono' },
          { title: 'Previous', width: '1fr', cls: 'c-mono' },
          { title: 'Now', width: '1fr', cls: 'c-mono' },
          { title: 'Δ', width: '0.8fr', cls: 'c-mono' },
        ],
        result.changes.map((c) => [c.path || '(body)', c.previous ?? (c.kind === 'added' ? '—' : ''), c.current ?? (c.kind === 'removed' ? '—' : ''), c.delta !== undefined ? delta(c.delta) : c.kind]),
        'compare-changes',
      ),
    );
  }
  if (result.truncated) view.append(el('p', { class: 'hint' }, 'Only the largest changes are listed.'));
  return view;
}

function tab(id: string, title: string): HTMLElement {
  return el('vscode-panel-tab', { id }, title);
}

/** The whole view for one call. */
export function renderRecord(record: ResultsRecord, state: ResultsViewState, busy: ReadonlySet<ResultsAction>, cb: RenderCallbacks): Rendered {
  const table =
    record.response === undefined || record.responseCut
      ? presentResponse(record.response ?? '', record.entry.op, {})
      : presentResponse(record.response, record.entry.op, { signature: record.signature, request: record.request });
  if (record.responseCut) table.notes.push('The response is too long to show as a table.');
  const failed = record.entry.status === 'error' || table.format === 'error';
  const tabs: [string, string, HTMLElement][] = [];
  const explain = record.entry.op === 'explain' || table.format === 'explain';
  if (explain && (!failed || table.explanations.length)) tabs.push([ResultsTabs.explain, `Explanations (${table.explanations.length})`, explainView(table)]);
  if (!failed || table.rows.length) tabs.push([ResultsTabs.table, `Predictions (${table.rows.length})`, tableView(table, record)]);
  tabs.push([ResultsTabs.raw, 'Raw JSON', rawView(record, table.value, state.raw, cb)]);
  tabs.push([ResultsTabs.request, 'Request', requestView(record)]);
  if (state.compare) tabs.push([ResultsTabs.compare, 'Compare', compareView(state.compare)]);
  const ids = tabs.map((t) => t[0]);
  const first = failed ? ResultsTabs.raw : explain ? ResultsTabs.explain : ResultsTabs.table;
  const active = ids.includes(state.tab) ? state.tab : first;
  const panels = el('vscode-panels', { 'aria-label': 'Result', activeid: active, class: 'tabs' });
  panels.append(...tabs.map(([id, title]) => tab(id, title)), ...tabs.map(([id, , view]) => el('vscode-panel-view', { id: `view-${id}` }, view)));
  const nodes: HTMLElement[] = [header(record, failed, busy, cb)];
  if (failed) nodes.push(errorBox(record, table));
  nodes.push(facts(record, table), panels);
  return { nodes, table, failed, tab: active };
}

export function renderEmpty(): HTMLElement[] {
  return [el('p', { class: 'none empty' }, 'No call to show yet: run Predict or Explain on a request file.')];
}
