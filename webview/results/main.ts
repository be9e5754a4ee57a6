/**
 * The Results view's webview: one Predict / Explain call. It draws what its saved state holds
 * (the panel may have been reloaded or hidden), posts `ready`, and then draws each call the host
 * posts; every message is validated first. Its state (the call, the compare result, the tab, the
 * raw view's mode, the scroll position) lives in setState/getState, which is also what the panel
 * serializer gets back after a reload.
 */
import {
  provideVSCodeDesignSystem,
  vsCodeButton,
  vsCodeDataGrid,
  vsCodeDataGridCell,
  vsCodeDataGridRow,
  vsCodePanels,
  vsCodePanelTab,
  vsCodePanelView,
} from '@vscode/webview-ui-toolkit';
import type { ResultsAction, ResultsHostMessage, ResultsRecord, ResultsViewState, ResultsWebviewMessage } from '../shared/results';
import { isResultsHostMessage, isResultsViewState } from '../shared/results';
import { ResultsTabs, renderEmpty, renderRecord } from './render';
import { readSnapshot } from './snapshot';
import { adoptResultsStyles } from './styles';
import { vsCodeApi } from '../shared/vscodeApi';

provideVSCodeDesignSystem().register(
  vsCodeButton(),
  vsCodeDataGrid(),
  vsCodeDataGridRow(),
  vsCodeDataGridCell(),
  vsCodePanels(),
  vsCodePanelTab(),
  vsCodePanelView(),
);
adoptResultsStyles();

/** Bodies longer than this (in all) are not kept in the webview state: a reload shows the call without them. */
const STATE_BODY_CHARS = 2 * 1024 * 1024;
const TAB_IDS = new Set<string>(Object.values(ResultsTabs));

const vscode = vsCodeApi();
const saved = vscode.getState();
let state: ResultsViewState = isResultsViewState(saved) ? saved : { tab: '', raw: 'pretty', scrollY: 0 };
let restoreScroll = state.scrollY > 0;
const busy = new Set<ResultsAction>();

function post(message: ResultsWebviewMessage): void {
  vscode.postMessage(message);
}

/** The state to keep: without bodies too long to hold across a reload. */
function saveState(): void {
  const r = state.record;
  if (r && (r.response?.length ?? 0) + (r.request?.length ?? 0) > STATE_BODY_CHARS) {
    const { response: _response, request: _request, responseCut: _cut, ...rest } = r;
    vscode.setState({ ...state, record: { ...rest, entry: { ...rest.entry, bodiesDropped: true } } });
    return;
  }
  vscode.setState(state);
}

const root = document.getElementById('root') ?? document.body.appendChild(document.createElement('main'));
const notice = document.body.appendChild(document.createElement('div'));
notice.className = 'notice';
notice.setAttribute('role', 'status');
let noticeTimer: ReturnType<typeof setTimeout> | undefined;

function render(): void {
  const record = state.record;
  if (!record) {
    root.replaceChildren(...renderEmpty());
    post({ type: 'rendered', snapshot: readSnapshot(root, { entryId: '', state: 'empty', op: '', format: '', tab: '' }) });
    return;
  }
  const out = renderRecord(record, state, busy, {
    act: (action) => post({ type: 'action', action, entryId: record.entry.id }),
    rawMode: (mode) => {
      state.raw = mode;
      saveState();
    },
  });
  root.replaceChildren(...out.nodes);
  if (state.tab !== out.tab) {
    state.tab = out.tab;
    saveState();
  }
  const panels = root.querySelector('vscode-panels');
  panels?.addEventListener('change', (e) => {
    if (e.target !== panels) return;
    const id = (panels as HTMLElement & { activeid?: string }).activeid;
    if (id && TAB_IDS.has(id) && id !== state.tab) {
      state.tab = id;
      saveState();
    }
  });
  if (restoreScroll) {
    restoreScroll = false;
    const y = state.scrollY;
    requestAnimationFrame(() => window.scrollTo(0, y));
  }
  post({
    type: 'rendered',
    snapshot: readSnapshot(root, {
      entryId: record.entry.id,
      state: out.failed ? 'error' : 'ok',
      op: record.entry.op,
      format: out.table.format,
      tab: out.tab,
    }),
  });
}

function show(record: ResultsRecord): void {
  if (record.entry.id !== state.record?.entry.id) {
    // Another call: its own default tab, no comparison yet, from the top.
    state = { tab: '', raw: state.raw, scrollY: 0, record };
    busy.clear();
    window.scrollTo(0, 0);
  } else {
    state.record = record;
  }
  saveState();
  render();
}

function setBusy(action: ResultsAction, on: boolean): void {
  if (on) busy.add(action);
  else busy.delete(action);
  for (const b of root.querySelectorAll(`vscode-button.action[data-action="${action}"]`)) {
    if (on) b.setAttribute('disabled', '');
    else b.removeAttribute('disabled');
  }
}

function handle(message: ResultsHostMessage): void {
  switch (message.type) {
    case 'show':
      show(message.record);
      break;
    case 'compare':
      if (message.entryId !== state.record?.entry.id) return;
      state.compare = message.result;
      state.tab = ResultsTabs.compare;
      saveState();
      render();
      break;
    case 'busy':
      setBusy(message.action, message.busy);
      break;
    case 'notice':
      notice.textContent = message.text;
      notice.classList.toggle('error', message.error === true);
      if (noticeTimer !== undefined) clearTimeout(noticeTimer);
      noticeTimer = setTimeout(() => (notice.textContent = ''), message.error ? 6000 : 2500);
      break;
  }
}

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  if (!isResultsHostMessage(event.data)) {
    console.warn('[servelens] dropped a message that does not fit the results protocol');
    return;
  }
  handle(event.data);
});

// The state holds the whole call: write it once scrolling settles, not on every frame.
let scrollTimer: ReturnType<typeof setTimeout> | undefined;
window.addEventListener('scroll', () => {
  if (scrollTimer !== undefined) clearTimeout(scrollTimer);
  scrollTimer = setTimeout(() => {
    scrollTimer = undefined;
    state.scrollY = Math.round(window.scrollY);
    saveState();
  }, 300);
});

// What the saved state holds is drawn at once; the host's `show` follows `ready`.
if (state.record) render();
post({ type: 'ready' });
