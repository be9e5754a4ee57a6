/**
 * Vertex AI regions and the hosts of each API.
 *
 * VERTEX_REGIONS: the regions Google's "Vertex AI locations" page lists as available for Vertex AI
 * (https://cloud.google.com/vertex-ai/docs/general/locations, read 2026-11). Vertex AI has no global
 * location for these resources; each region has its own host `https://{region}-aiplatform.googleapis.com`.
 * Regions added later still work when named explicitly (`--region`, settings); only "all" uses this list.
 */
import { UsageError } from '../errors';

export const VERTEX_REGIONS: readonly string[] = [
  // United States
  'us-central1', 'us-east1', 'us-east4', 'us-east5', 'us-south1', 'us-west1', 'us-west2', 'us-west3', 'us-west4',
  // Canada
  'northamerica-northeast1', 'northamerica-northeast2',
  // South America
  'southamerica-east1', 'southamerica-west1',
  // Europe
  'europe-central2', 'europe-north1', 'europe-southwest1', 'europe-west1', 'europe-west2', 'europe-west3',
  'europe-west4', 'europe-west6', 'europe-west8', 'europe-west9', 'europe-west12',
  // Asia Pacific
  'asia-east1', 'asia-east2', 'asia-northeast1', 'asia-northeast2', 'asia-northeast3', 'asia-south1',
  'asia-southeast1', 'asia-southeast2', 'australia-southeast1', 'australia-southeast2',
  // Middle East
  'me-central1', 'me-central2', 'me-west1',
  // Africa
  'africa-south1',
];

/** A region or location id as Google writes them: lower case letters, digits and dashes. */
const REGION_RE = /^[a-z][a-z0-9-]{1,62}$/;

export function isRegionName(name: string): boolean {
  return REGION_RE.test(name);
}

/**
 * Reads a `--region` value: "us-central1", "us-central1,europe-west4", or "all" (VERTEX_REGIONS).
 * Duplicates are dropped; order is kept. UsageError for anything that is not a region name.
 */
export function parseRegions(value: string, all: readonly string[] = VERTEX_REGIONS): string[] {
  const out: string[] = [];
  for (const part of value.split(',').map((s) => s.trim()).filter(Boolean)) {
    const names = part === 'all' ? all : [part];
    for (const name of names) {
      if (!isRegionName(name)) throw new UsageError(`'${name}' is not a region name (e.g. us-central1, or all).`);
      if (!out.includes(name)) out.push(name);
    }
  }
  if (out.length === 0) throw new UsageError('no region given (e.g. --region us-central1, or --region all).');
  return out;
}

/** The Vertex AI regional host. */
export function vertexHost(region: string): string {
  if (!isRegionName(region)) throw new UsageError(`'${region}' is not a region name.`);
  return `https://${region}-aiplatform.googleapis.com`;
}

/** The AI Platform (legacy) host: global, or regional for models created on a regional endpoint. */
export function aiPlatformHost(region?: string): string {
  if (!region || region === 'global') return 'https://ml.googleapis.com';
  if (!isRegionName(region)) throw new UsageError(`'${region}' is not a region name.`);
  return `https://${region}-ml.googleapis.com`;
}

export const STORAGE_HOST = 'https://storage.googleapis.com';
