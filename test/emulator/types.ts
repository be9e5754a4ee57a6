/**
 * The emulator's state: a compact seed (test/emulator/state.sample.json) from which the emulator
 * serves the REST shapes of src/core/cloud/contract.ts. Seeds name resources by id; the emulator
 * builds the full resource names (Vertex AI with the project NUMBER, as Google does; AI Platform
 * with the project id) and the cross references (a model's `deployedModels`).
 *
 * String values may use `${FIXTURES}` and `${SAVEDMODELS}`: the shared fixtures folder
 * (SERVELENS_FIXTURES, or ../shared/fixtures beside the checkout) and its savedmodels/ folder.
 */
import type {
  AiPlatformVersion, JobState, VertexBatchPredictionJob, VertexDeployedModel, VertexEndpoint, VertexModel,
} from '../../src/core/cloud/contract';

/** What a project answers on a service when access is refused. */
export type AccessMode = 'PERMISSION_DENIED' | 'SERVICE_DISABLED';

/** The Google services the emulator serves, by their service names. */
export type ServiceName = 'aiplatform.googleapis.com' | 'ml.googleapis.com' | 'storage.googleapis.com';

export interface EmulatorState {
  auth?: AuthState;
  timing?: TimingState;
  /** Keyed by project id. */
  projects: Record<string, ProjectState>;
  /** Cloud Storage buckets, keyed by bucket name; read-only views of local folders. */
  buckets?: Record<string, BucketState>;
  /** TF Serving model servers, each under its own path prefix ("" = the root). */
  tfServing?: TfServingServer[];
}

export interface AuthState {
  /** When true, Google API routes (Vertex AI, AI Platform, Cloud Storage) need `Authorization: Bearer <token>`. */
  required?: boolean;
  /** Tokens accepted besides the one the metadata server hands out. */
  acceptedTokens?: string[];
  /** Tokens answered with 401 UNAUTHENTICATED, reason ACCESS_TOKEN_EXPIRED. */
  expiredTokens?: string[];
  /** The access token the metadata server returns. */
  metadataToken?: string;
  /** `expires_in` of the metadata server's token, in seconds (default 3599). */
  tokenExpiresIn?: number;
  /** The default service account's email (default emulator@<metadataProject>.iam.gserviceaccount.com). */
  serviceAccountEmail?: string;
  /** The project id the metadata server reports (default: the first project). */
  metadataProject?: string;
}

export interface TimingState {
  /** A batch prediction job moves one state forward on a read at least this long after its last move (0: every read). */
  jobStepMs?: number;
  /** A long-running operation is done on the first read at least this long after it started (0: the first read). */
  operationDoneMs?: number;
}

export interface ProjectState {
  /** The project number (digits). Vertex AI resource names carry it. */
  number: string;
  /** Refuse every service (a mode) or some services (a map) of this project. */
  access?: AccessMode | Partial<Record<ServiceName, AccessMode>>;
  /** Vertex AI, keyed by location id (us-central1, ...). */
  locations?: Record<string, LocationState>;
  /** AI Platform (legacy ml.googleapis.com) models. */
  aiPlatform?: { models: LegacyModelSeed[] };
}

export interface LocationState {
  endpoints?: EndpointSeed[];
  models?: ModelSeed[];
  batchPredictionJobs?: BatchJobSeed[];
  /** Extra synthetic resources for paging and scale: N endpoints named generated-endpoint-0001, ... */
  generate?: { endpoints?: number; models?: number };
}

/** A deployed model in a seed: `model` is the model id in the same location. */
export type DeployedModelSeed = Omit<VertexDeployedModel, 'model'> & { model: string };

export type EndpointSeed = Omit<VertexEndpoint, 'name' | 'deployedModels'> & {
  id: string;
  labels?: Record<string, string>;
  etag?: string;
  deployedModels?: DeployedModelSeed[];
};

export interface ModelVersionSeed {
  versionId: string;
  /** Version aliases; exactly one version of a model has "default" (the first one when none says so). */
  aliases?: string[];
  artifactUri?: string;
  versionDescription?: string;
  versionCreateTime?: string;
  versionUpdateTime?: string;
  containerSpec?: VertexModel['containerSpec'];
  labels?: Record<string, string>;
}

export type ModelSeed = Omit<
  VertexModel,
  'name' | 'versionId' | 'versionAliases' | 'versionCreateTime' | 'versionUpdateTime' | 'versionDescription' | 'artifactUri' | 'deployedModels'
> & {
  id: string;
  etag?: string;
  versions: ModelVersionSeed[];
};

/**
 * A batch prediction job in a seed: `model` is the model id (optionally `id@version`). A job labelled
 * `emulator-outcome: failed` (or `partially-succeeded`) ends that way instead of SUCCEEDED.
 */
export type BatchJobSeed = Omit<VertexBatchPredictionJob, 'name' | 'model' | 'state'> & {
  id: string;
  model: string;
  state: JobState;
  labels?: Record<string, string>;
  generateExplanation?: boolean;
  /** Internal: when the job last changed state (ms since the epoch). */
  lastStepAt?: number;
};

export type LegacyVersionSeed = Omit<AiPlatformVersion, 'name' | 'isDefault'> & { name: string; labels?: Record<string, string> };

export interface LegacyModelSeed {
  name: string;
  description?: string;
  regions?: string[];
  onlinePredictionLogging?: boolean;
  onlinePredictionConsoleLogging?: boolean;
  labels?: Record<string, string>;
  /** The default version's short name (default: the first version). */
  defaultVersion?: string;
  versions: LegacyVersionSeed[];
}

export interface BucketState {
  /** The project that owns the bucket (for access refusals); default: the first project. */
  project?: string;
  /** Object name prefix → local folder. Objects are the folder's files, read-only. */
  mounts: { prefix: string; dir: string }[];
  /** Objects uploaded to the emulator (simple media uploads), by name; they hide a mounted file of the same name. */
  uploads?: Record<string, UploadedObject>;
}

/** An object uploaded to the emulator: kept in the state (so a reset forgets it), bytes as base64. */
export interface UploadedObject {
  data: string;
  contentType: string;
  generation: string;
  /** ms since the epoch. */
  time: number;
}

export interface TfServingServer {
  /** Path prefix of this server, e.g. "" (answers /v1/models/...) or "/tfs2" (answers /tfs2/v1/models/...). */
  prefix?: string;
  models: TfServingModel[];
}

export interface TfServingModel {
  name: string;
  /** The model base path: a folder of numeric version folders (a local path, or gs:// under a mounted bucket). */
  basePath: string;
  /** Versions served (numbers as strings). Default: the latest only, as TF Serving's default policy. */
  versions?: string[];
  /** Version labels, e.g. {"stable": "123"}. */
  labels?: Record<string, string>;
  /** Per-version state overrides, e.g. a version that failed to load. */
  versionStates?: Record<string, { state: string; errorCode?: string; errorMessage?: string }>;
}

/**
 * How a prediction route hands a request to a model: the local runner (src/core/runner) implements
 * this; the emulator resolves the model folder (a Vertex AI deployed model's artifactUri, an AI
 * Platform version's deploymentUri, a TF Serving version folder) and checks the signature name
 * against the model's real signatures before calling it. Without a predictor the prediction routes
 * answer 501 UNIMPLEMENTED (no output is ever made up).
 */
export interface PredictorOptions {
  /** The signature to run ("serving_default" unless the request named one). */
  signature: string;
  /** `instances` (row: answer `predictions`), `inputs` (columnar: answer `outputs`), `examples` (classify / regress: answer `results`). */
  format: 'row' | 'columnar' | 'examples';
  /** TF Serving's verb; Vertex AI and AI Platform always predict. */
  method: 'predict' | 'classify' | 'regress';
}

export interface Predictor {
  /**
   * The TF Serving answer body for the request: `{"predictions"}`, `{"outputs"}` or `{"results"}`.
   * A request the model refuses rejects with a `PredictorInputError` (or any error with
   * `status: 400`) whose message is the model server's text; other rejections are 500s.
   */
  predict(modelDir: string, body: Record<string, unknown>, opts: PredictorOptions): Promise<Record<string, unknown>>;
  /** Vertex AI's explain answer without the deployed model fields: `{"explanations": [...], "predictions"?}`. */
  explain(modelDir: string, body: Record<string, unknown>, opts: PredictorOptions): Promise<Record<string, unknown>>;
}

/** A request the model refused (a 400 with the model server's message). */
export class PredictorInputError extends Error {
  readonly status = 400;
}
