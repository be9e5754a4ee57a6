/**
 * The model facts that flow through ServeLens: one `Signature` type for the inspector, request
 * validation, the runner and the CLI. These are plain JSON-serialisable objects (no classes,
 * no bigint) so they cross the webview and worker boundaries unchanged.
 */

/** A TensorFlow dtype as TensorFlow names it: "DT_FLOAT", "DT_STRING", "DT_FLOAT_REF", "DT_INVALID". */
export type DTypeName = string;

/** Dimensions; -1 for an unknown dimension. `null` means unknown rank. */
export type Shape = number[] | null;

export interface TensorSpec {
  /** The signature alias (the key in SignatureDef.inputs/outputs, or a tfjs input name). */
  alias: string;
  dtype: DTypeName;
  shape: Shape;
  /** The graph tensor name, e.g. "x:0". For sparse/composite encodings, the first component. */
  tensor: string;
  /** How the tensor is encoded; absent means a dense `name`. */
  encoding?: 'coo_sparse' | 'composite';
  /** For coo_sparse: the three component tensor names. */
  cooSparse?: { values: string; indices: string; denseShape: string };
  /** For composite tensors: a short description of the type spec, and the component tensor names. */
  composite?: { typeSpec: string; components: TensorSpec[] };
}

export type MethodName =
  | 'tensorflow/serving/predict'
  | 'tensorflow/serving/classify'
  | 'tensorflow/serving/regress'
  | string;

export interface Signature {
  /** The SignatureDef key, e.g. "serving_default". May contain slashes. */
  name: string;
  /** The method name; "" when absent. */
  method: MethodName;
  inputs: TensorSpec[];
  outputs: TensorSpec[];
}

export interface AssetRef {
  /** The file name relative to the SavedModel's assets/ folder. */
  filename: string;
  /** The tensor that receives the path, when declared through asset_file_def. */
  tensor?: string;
}

export interface MetaGraphSummary {
  tags: string[];
  signatures: Signature[];
  /** meta_info_def.tensorflow_version / tensorflow_git_version, when present. */
  tfVersion?: string;
  tfGitVersion?: string;
  /** meta_info_def.stripped_op_list: the op names the graph uses, when the exporter recorded them. */
  strippedOps?: string[];
  /** True when the MetaGraphDef carries an object_graph_def (a TF2 export). */
  hasObjectGraph: boolean;
  assets: AssetRef[];
  /** Op types used in the graph and its function library, when the graph was decoded. */
  ops?: OpUse[];
}

/** An op type and the first few nodes that use it (for lint: unsupported / custom ops). */
export interface OpUse {
  op: string;
  count: number;
  nodes: string[];
}

/** FingerprintDef values. uint64 as decimal strings (exact; JS numbers would round). */
export interface Fingerprint {
  savedModelChecksum: string;
  graphDefProgramHash: string;
  signatureDefHash: string;
  savedObjectGraphHash: string;
  checkpointHash: string;
  version?: { producer: number; minConsumer?: number; badConsumers?: number[] };
}

export type ModelFormat = 'savedmodel' | 'tfjs-graph' | 'tfjs-layers';

export interface VariableInfo {
  /** The checkpoint key, e.g. "a" or "v/.ATTRIBUTES/VARIABLE_VALUE". */
  key: string;
  dtype: DTypeName;
  shape: number[];
  /** Size of the stored value in bytes. */
  bytes: number;
  /** Which data shard holds it. */
  shard: number;
}

export interface WeightsSummary {
  /** tfjs: number of weight files (shards) and total bytes. */
  files: number;
  bytes: number;
  count: number;
}

export interface ModelSummary {
  format: ModelFormat;
  /** The model directory (SavedModel dir, the version dir when resolved from a base dir, or the model.json folder). */
  dir: string;
  /** The file that was read: saved_model.pb, saved_model.pbtxt or model.json. */
  file: string;
  /** The numeric version folder used when the path was a TF Serving base directory. */
  version?: string;
  /** Every version folder present in that base directory, ascending. */
  versions?: string[];
  /** saved_model_schema_version (SavedModel only). */
  schemaVersion?: number;
  metaGraphs: MetaGraphSummary[];
  fingerprint?: Fingerprint;
  /** tfjs only: the weights manifest summary. */
  weights?: WeightsSummary;
  /** tfjs only: generatedBy / convertedBy from model.json. */
  generatedBy?: string;
  convertedBy?: string;
}

/** The deployment-readiness finding contract shared by the CLI (`servelens lint --json`) and the editor. */
export interface LintFinding {
  code: string;
  severity: 'error' | 'warning' | 'info';
  message: string;
  /** How to fix it. */
  fix?: string;
  /** The tag-set and signature it concerns, when it concerns one. */
  tags?: string[];
  signature?: string;
  /** The alias it concerns, when it concerns one input or output. */
  alias?: string;
  /** The op and node it concerns (unsupported ops). */
  op?: string;
  node?: string;
}
