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
} as const;
export type CommandId = (typeof Commands)[keyof typeof Commands];

export const Views = {
  container: 'servelens',
  models: 'servelens.models',
} as const;

export const CustomEditors = {
  inspector: 'servelens.inspector',
  inspectorTfjs: 'servelens.inspector.tfjs',
} as const;

export const ContextKeys = {
  /** Set once the Models tree has finished its first scan of the workspace. */
  modelsScanned: 'servelens.models.scanned',
} as const;

export const Settings = {
  section: 'servelens',
} as const;
