/** Every id ServeLens contributes, in one place. Command ids read `servelens.<noun>.<verb>`. */
export const EXTENSION_ID = 'servelens.servelens';
export const LOG_CHANNEL_NAME = 'ServeLens';

export const Commands = {
  logShow: 'servelens.log.show',
  modelInspect: 'servelens.model.inspect',
  modelReveal: 'servelens.model.revealInExplorer',
  modelsRefresh: 'servelens.models.refresh',
  signatureCopyJson: 'servelens.signature.copyJson',
  requestNewFromSignature: 'servelens.request.newFromSignature',
  requestBindTarget: 'servelens.request.bindTarget',
  requestValidate: 'servelens.request.validate',
  cloudRefresh: 'servelens.cloud.refresh',
  cloudRetry: 'servelens.cloud.retry',
  cloudLoadMore: 'servelens.cloud.loadMore',
  cloudCopyName: 'servelens.cloud.copyResourceName',
  cloudOpenConsole: 'servelens.cloud.openInConsole',
  cloudNewRequest: 'servelens.cloud.newRequest',
  cloudBindRequest: 'servelens.cloud.bindRequest',
  cloudSelectProject: 'servelens.cloud.selectProject',
  cloudSignIn: 'servelens.cloud.signIn',
  requestPredict: 'servelens.request.predict',
  requestExplain: 'servelens.request.explain',
  requestPredictLocally: 'servelens.request.predictLocally',
  requestPickTarget: 'servelens.request.pickTarget',
  requestPredictLine: 'servelens.request.predictLine',
  requestRunBatch: 'servelens.request.runBatch',
  resultsShowLast: 'servelens.results.showLast',
  historyOpen: 'servelens.history.open',
  historyRerun: 'servelens.history.rerun',
  historyDelete: 'servelens.history.delete',
  historyClear: 'servelens.history.clear',
  historyRefresh: 'servelens.history.refresh',
  modelRunLocally: 'servelens.model.runLocally',
  localServerStart: 'servelens.localServer.start',
  localServerStop: 'servelens.localServer.stop',
  /** The local server's status bar item: Copy URL / Stop (internal, not contributed). */
  localServerMenu: 'servelens.localServer.menu',
} as const;
export type CommandId = (typeof Commands)[keyof typeof Commands];

export const Views = {
  container: 'servelens',
  models: 'servelens.models',
  vertex: 'servelens.vertex',
  aiPlatform: 'servelens.aiPlatform',
  tfServing: 'servelens.tfServing',
  history: 'servelens.history',
} as const;

export const WebviewPanels = {
  results: 'servelens.results',
} as const;

export const CustomEditors = {
  inspector: 'servelens.inspector',
  inspectorTfjs: 'servelens.inspector.tfjs',
} as const;

export const ContextKeys = {
  /** Set once the Models tree has finished its first scan of the workspace. */
  modelsScanned: 'servelens.models.scanned',
  /** True while the cloud views found no credentials (their welcome view shows sign-in guidance). */
  cloudSignedOut: 'servelens.cloud.signedOut',
  /** True while the local server (servelens serve in the extension host) runs. */
  localServerRunning: 'servelens.localServer.running',
  /** True when the call history holds at least one call. */
  historyNotEmpty: 'servelens.history.notEmpty',
} as const;

export const Settings = {
  section: 'servelens',
} as const;
