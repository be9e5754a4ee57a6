/**
 * Reads back what the Results view rendered, from the DOM itself, so that tests on the host
 * assert what a user sees: the table's headers and cells (a folded tensor by its one-line summary),
 * the error summary and next steps, the charts' bar labels, the tabs, the compare result, the
 * buttons.
 */
import type { RenderedChart, RenderedResults } from '../shared/results';
import { RESULTS_LIMITS } from '../shared/results';

function text(node: Element | null | undefined): string {
  return (node?.textContent ?? '').replace(/\s+/g, ' ').trim();
}

/** text() of a node that may hold megabytes (the raw body): cut before collapsing spaces, with room to spare. */
function boundedText(node: Element, max: number): string {
  const raw = node.textContent ?? '';
  return (raw.length > max * 2 ? raw.slice(0, max * 2) : raw).replace(/\s+/g, ' ').trim().slice(0, max);
}

/** A table cell as shown before anything is expanded. */
function cellText(td: Element): string {
  const folded = td.querySelector('.fold-summary');
  if (folded) return text(folded);
  const topk = td.querySelectorAll('.topk > li');
  if (topk.length) return [...topk].map(text).join(', ');
  return text(td);
}

function charts(root: HTMLElement): RenderedChart[] {
  return [...root.querySelectorAll('section.chart')].map((c) => {
    const more = c.querySelector('.chart-more');
    return {
      title: text(c.querySelector('.chart-title')),
      bars: [...c.querySelectorAll('text.bar-label')].map((t) => t.textContent ?? ''),
      ...(more ? { more: text(more) } : {}),
    };
  });
}

export function readSnapshot(
  root: HTMLElement,
  info: Pick<RenderedResults, 'entryId' | 'state' | 'op' | 'format' | 'tab'>,
): RenderedResults {
  const table = root.querySelector('table.predictions');
  const error = root.querySelector('.error-box .error-summary');
  const compare = root.querySelector('.compare');
  const snapshot: RenderedResults = {
    ...info,
    tabs: [...root.querySelectorAll('vscode-panel-tab')].map(text),
    columns: table ? [...table.querySelectorAll('thead th')].map(text) : [],
    rows: table ? [...table.querySelectorAll('tbody > tr')].map((tr) => [...tr.children].map(cellText)) : [],
    meta: [...root.querySelectorAll('.meta .fact')].map((f) => [text(f.querySelector('.fact-label')), text(f.querySelector('.fact-value'))]),
    nextSteps: [...root.querySelectorAll('.next-steps > li')].map(text),
    charts: charts(root),
    actions: [...root.querySelectorAll('vscode-button.action')].map(text),
    text: boundedText(root, RESULTS_LIMITS.text),
  };
  if (error) snapshot.error = text(error);
  if (compare) snapshot.compare = text(compare);
  return snapshot;
}
