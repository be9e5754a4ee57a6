/**
 * The signatures of a Predict target, for choosing TF Serving's verb, validating a request before
 * it is sent and explaining a failure: TF Serving's `/metadata`; for Vertex AI the SavedModel under
 * the `artifactUri` of the deployed model that serves (the one asked for, else the one with the most
 * traffic); for AI Platform the `deploymentUri` of the version (or the model's default version).
 * Shared by the CLI and the editor.
 */
import { AiPlatformClient } from '../cloud/aiplatform';
import type { CallOptions, HttpClient } from '../cloud/http';
import { ArtifactSignatureReader, StorageClient } from '../cloud/storage';
import { TfServingClient, type ServableSelector } from '../cloud/tfserving';
import { VertexClient, deployedModelsOf } from '../cloud/vertex';
import type { Signature } from '../model/types';
import type { PredictTarget } from './target';

export interface TargetSignatureDeps {
  http: HttpClient;
  /** The Google API endpoint override (Vertex AI, AI Platform, Cloud Storage). */
  apiEndpoint?: string;
  /** Shared clients (the editor's session); built from `http` when absent. */
  vertex?: VertexClient;
  artifacts?: ArtifactSignatureReader;
  aiPlatform?: (region: string) => AiPlatformClient;
  tfServing?: (url: string) => TfServingClient;
  /** Local models: read by the caller's own model reader. */
  local?: (modelPath: string) => Promise<Signature[]>;
}

export interface TargetSignatures {
  signatures: Signature[];
  /** Where they were read: the gs:// object, TF Serving's metadata URL or the model path. */
  source: string;
}

const override = (deps: TargetSignatureDeps) => (deps.apiEndpoint ? { apiEndpoint: deps.apiEndpoint } : {});

/** The servable a TF Serving target names (a version, a label, or the latest). */
export function servableOf(t: PredictTarget & { kind: 'tf-serving' }): ServableSelector {
  return t.version !== undefined ? { version: t.version } : t.label !== undefined ? { label: t.label } : {};
}

/**
 * The target's signatures. Throws what the calls throw (CloudApiError, ModelNotFoundError, ...);
 * undefined when the target has nothing to read them from (nothing deployed, no artifact URI).
 */
export async function targetSignatures(target: PredictTarget, deps: TargetSignatureDeps, call: CallOptions = {}): Promise<TargetSignatures | undefined> {
  const artifacts = () => deps.artifacts ?? new ArtifactSignatureReader({ storage: new StorageClient({ http: deps.http, ...override(deps) }) });
  switch (target.kind) {
    case 'local':
      return deps.local ? { signatures: await deps.local(target.modelPath), source: target.modelPath } : undefined;
    case 'tf-serving': {
      const client = deps.tfServing?.(target.url) ?? new TfServingClient({ http: deps.http, baseUrl: target.url });
      const r = await client.getSignatures(target.model, servableOf(target), call);
      return { signatures: r.signatures, source: `TF Serving metadata of ${target.model}${r.version ? ` version ${r.version}` : ''}` };
    }
    case 'vertex': {
      const vertex = deps.vertex ?? new VertexClient({ http: deps.http, ...override(deps) });
      const models = deployedModelsOf(await vertex.getEndpoint(target.endpoint, call));
      const dm = (target.deployedModelId ? models.find((m) => m.id === target.deployedModelId) : undefined) ?? models[0];
      if (!dm) return undefined;
      const model = await vertex.getModel(dm.modelVersionId ? `${dm.model}@${dm.modelVersionId}` : dm.model, call);
      if (!model.artifactUri) return undefined;
      const r = await artifacts().read(model.artifactUri, call);
      return { signatures: r.signatures, source: r.uri };
    }
    case 'ai-platform': {
      const region = target.region ?? 'global';
      const ml = deps.aiPlatform?.(region) ?? new AiPlatformClient({ http: deps.http, ...(target.region ? { region: target.region } : {}), ...override(deps) });
      const v = target.version ? await ml.getVersion(`${target.model}/versions/${target.version}`, call) : (await ml.getModel(target.model, call)).defaultVersion;
      if (!v?.deploymentUri) return undefined;
      const r = await artifacts().read(v.deploymentUri, call);
      return { signatures: r.signatures, source: r.uri };
    }
  }
}
