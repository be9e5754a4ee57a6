/**
 * The SavedModel inspector webview. It starts, posts `ready`, and renders whatever the host
 * posts; every message is validated first (`isHostMessage`). It keeps only the selected tab and
 * the scroll position in the webview state, so the host can let it go when hidden and the view
 * comes back where it was.
 */
import {
  provideVSCodeDesignSystem,
  vsCodeButton,
  vsCodeDataGrid,
  vsCodeDataGridCell,
  vsCodeDataGridRow,
  vsCodeLink,
  vsCodePanels,
  vsCodePanelTab,
  vsCodePanelView,
} from '@vscode/webview-ui-toolkit';
import type { HostMessage, InspectorViewState, RenderedSnapshot, WebviewMessage } from '../shared/protocol';
import { isHostMessage, isViewState } from '../shared/protocol';
import type { Actions } from './render';
import { Tabs, renderError, renderLoading, renderModel } from './render';
import { readSnapshot } from './snapshot';
import { adoptStyles } from './styles';
import { vsCodeApi } from '../shared/vscodeApi';

provideVSCodeDesignSystem().register(
  vsCodeButton(),
  vsCodeDataGrid(),
  vsCodeDataGridRow(),
  vsCodeDataGridCell(),
  vsCodeLink(),
  vsCodePanels(),
  vsCodePanelTab(),
  vsCodePanelView(),
);
adoptStyles();

const vscode = vsCodeApi();
const TAB_IDS = new Set<string>(Object.values(Tabs));
const saved = vscode.getState();
const state: InspectorViewState =
  isViewState(saved) && TAB_IDS.has(saved.tab) ? saved : { tab: Tabs.signatures, scrollY: 0 };
/** Scroll back only once per load of the webview: after that the user's own scrolling wins. */
let restoreScroll = state.scrollY > 0;

function post(message: WebviewMessage): void {
  vscode.postMessage(message);
}

function saveState(): void {
  vscode.setState(state);
}

const root = document.getElementById('root') ?? document.body.appendChild(document.createElement('main'));
const notice = document.body.appendChild(document.createElement('div'));
notice.className = 'notice';
notice.setAttribute('role', 'status');
let noticeTimer: ReturnType<typeof setTimeout> | undefined;

const actions: Actions = {
  copySignature: (metaGraph, signature) => post({ type: 'copySignature', metaGraph, signature }),
  newRequest: (metaGraph, signature) => post({ type: 'newRequest', metaGraph, signature }),
  openVersion: (version) => post({ type: 'openVersion', version }),
  reload: () => post({ type: 'reload' }),
};

function show(nodes: HTMLElement[], snapshotState: RenderedSnapshot['state'], file: string): void {
  root.replaceChildren(...nodes);
  const panels = root.querySelector('vscode-panels');
  panels?.addEventListener('change', (e) => {
    if (e.target !== panels) return;
    const id = (panels as HTMLElement & { activeid?: string }).activeid;
    if (id && TAB_IDS.has(id) && id !== state.tab) {
      state.tab = id;
      saveState();
    }
  });
  if (restoreScroll && snapshotState === 'model') {
    restoreScroll = false;
    requestAnimationFrame(() => window.scrollTo(0, state.scrollY));
  }
  post({ type: 'rendered', snapshot: readSnapshot(root, snapshotState, file) });
}

function handle(message: HostMessage): void {
  switch (message.type) {
    case 'loading':
      show(renderLoading(message.file), 'loading', message.file);
      break;
    case 'model':
      show(renderModel(message.file, message.model, state.tab, actions), 'model', message.file);
      break;
    case 'error':
      show(renderError(message.file, message.error, actions), 'error', message.file);
      break;
    case 'notice':
      notice.textContent = message.text;
      if (noticeTimer !== undefined) clearTimeout(noticeTimer);
      noticeTimer = setTimeout(() => (notice.textContent = ''), 2500);
      break;
  }
}

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  if (!isHostMessage(event.data)) {
    console.warn('[servelens] dropped a message that does not fit the inspector protocol');
    return;
  }
  handle(event.data);
});

let scrollQueued = false;
window.addEventListener('scroll', () => {
  if (scrollQueued) return;
  scrollQueued = true;
  requestAnimationFrame(() => {
    scrollQueued = false;
    state.scrollY = Math.round(window.scrollY);
    saveState();
  });
});

post({ type: 'ready' });
