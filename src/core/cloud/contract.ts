/**
 * The contract between the cloud clients (src/core/cloud), the editor's deployment trees and the
 * CLI listing commands. Resource objects keep the REST API's own camelCase field names (int64 as
 * strings) so what the emulator serves, what Google serves and what the trees show are the same.
 */

/** A page of a list call. `nextPageToken` absent or "" on the last page. */
export interface Page<T> {
  items: T[];
  nextPageToken?: string;
}

export interface ListOptions {
  pageSize?: number;
  pageToken?: string;
  filter?: string;
  signal?: AbortSignal;
}

/** Vertex AI v1 Endpoint (subset of fields ServeLens shows). */
export interface VertexEndpoint {
  name: string; // projects/{p}/locations/{l}/endpoints/{e}
  displayName: string;
  description?: string;
  deployedModels?: VertexDeployedModel[];
  trafficSplit?: Record<string, number>;
  createTime?: string;
  updateTime?: string;
  network?: string;
  privateServiceConnectConfig?: unknown;
  dedicatedEndpointEnabled?: boolean;
  dedicatedEndpointDns?: string;
}

export interface VertexDeployedModel {
  id: string;
  model: string; // projects/{p}/locations/{l}/models/{m}
  modelVersionId?: string;
  displayName?: string;
  createTime?: string;
  dedicatedResources?: {
    machineSpec?: { machineType?: string; acceleratorType?: string; acceleratorCount?: number };
    minReplicaCount?: number;
    maxReplicaCount?: number;
  };
  automaticResources?: { minReplicaCount?: number; maxReplicaCount?: number };
  explanationSpec?: unknown;
  serviceAccount?: string;
  disableExplanations?: boolean;
}

/** Vertex AI v1 Model (a version of it, when listed with versions). */
export interface VertexModel {
  name: string; // projects/{p}/locations/{l}/models/{m}
  displayName: string;
  description?: string;
  versionId?: string;
  versionAliases?: string[];
  versionCreateTime?: string;
  versionUpdateTime?: string;
  versionDescription?: string;
  artifactUri?: string;
  containerSpec?: { imageUri?: string; predictRoute?: string; healthRoute?: string };
  predictSchemata?: { instanceSchemaUri?: string; parametersSchemaUri?: string; predictionSchemaUri?: string };
  explanationSpec?: unknown;
  supportedDeploymentResourcesTypes?: string[];
  deployedModels?: { endpoint: string; deployedModelId: string }[];
  createTime?: string;
  updateTime?: string;
  labels?: Record<string, string>;
}

export type JobState =
  | 'JOB_STATE_UNSPECIFIED' | 'JOB_STATE_QUEUED' | 'JOB_STATE_PENDING' | 'JOB_STATE_RUNNING'
  | 'JOB_STATE_SUCCEEDED' | 'JOB_STATE_FAILED' | 'JOB_STATE_CANCELLING' | 'JOB_STATE_CANCELLED'
  | 'JOB_STATE_PAUSED' | 'JOB_STATE_EXPIRED' | 'JOB_STATE_UPDATING' | 'JOB_STATE_PARTIALLY_SUCCEEDED';

export interface VertexBatchPredictionJob {
  name: string; // projects/{p}/locations/{l}/batchPredictionJobs/{id}
  displayName: string;
  model?: string;
  modelVersionId?: string;
  state: JobState;
  error?: { code: number; message: string; details?: unknown[] };
  inputConfig?: { instancesFormat?: string; gcsSource?: { uris: string[] }; bigquerySource?: { inputUri: string } };
  outputConfig?: { predictionsFormat?: string; gcsDestination?: { outputUriPrefix: string }; bigqueryDestination?: { outputUri: string } };
  outputInfo?: { gcsOutputDirectory?: string; bigqueryOutputDataset?: string };
  createTime?: string;
  startTime?: string;
  endTime?: string;
  updateTime?: string;
  completionStats?: { successfulCount?: string; failedCount?: string; incompleteCount?: string };
}

/** AI Platform (legacy) v1 Model and Version. */
export interface AiPlatformModel {
  name: string; // projects/{p}/models/{m}
  description?: string;
  defaultVersion?: AiPlatformVersion;
  regions?: string[];
  onlinePredictionLogging?: boolean;
  onlinePredictionConsoleLogging?: boolean;
  labels?: Record<string, string>;
  etag?: string;
}

export interface AiPlatformVersion {
  name: string; // projects/{p}/models/{m}/versions/{v}
  description?: string;
  isDefault?: boolean;
  deploymentUri?: string;
  createTime?: string;
  lastUseTime?: string;
  runtimeVersion?: string;
  framework?: 'TENSORFLOW' | 'SCIKIT_LEARN' | 'XGBOOST' | 'FRAMEWORK_UNSPECIFIED' | string;
  pythonVersion?: string;
  machineType?: string;
  autoScaling?: { minNodes?: number; maxNodes?: number };
  manualScaling?: { nodes?: number };
  state?: 'UNKNOWN' | 'READY' | 'CREATING' | 'FAILED' | 'DELETING' | 'UPDATING' | string;
  errorMessage?: string;
  etag?: string;
}

/** TF Serving GET /v1/models/{m}: model_version_status. */
export interface TfServingModelStatus {
  model_version_status: {
    version: string;
    state: 'UNKNOWN' | 'START' | 'LOADING' | 'AVAILABLE' | 'UNLOADING' | 'END' | string;
    status: { error_code: string; error_message: string };
  }[];
}

/** A long-running operation (google.longrunning.Operation), as Vertex AI returns and `GET /v1/{name}` polls. */
export interface LongRunningOperation {
  name: string; // projects/{p}/locations/{l}/.../operations/{id}
  metadata?: Record<string, unknown>;
  done?: boolean;
  /** Set when done and failed: a google.rpc.Status (`code` is the google.rpc.Code number). */
  error?: { code: number; message: string; details?: unknown[] };
  /** Set when done and succeeded. */
  response?: Record<string, unknown>;
}

/** TF Serving GET /v1/models/{m}[/versions/{v}]/metadata (TensorInfo fields in proto names, dims as strings). */
export interface TfServingMetadata {
  model_spec: { name: string; signature_name?: string; version?: string };
  metadata: { signature_def?: { signature_def?: Record<string, unknown> } } & Record<string, unknown>;
}
