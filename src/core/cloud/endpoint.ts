/**
 * API endpoint overrides: one base URL that replaces every Google API host (all regions, Vertex AI,
 * AI Platform and Cloud Storage) — for private endpoints, proxies and the local emulator.
 *
 * Security: access tokens are sent to this URL. The editor must read the setting from MACHINE scope
 * only (declared `"scope": "machine"`, so no workspace can set it) and the CLI from its flag or the
 * environment. A plain-http URL is accepted only for a loopback host (127.0.0.1, ::1, localhost):
 * tokens never cross a network unencrypted.
 */
import { CloudError } from './errors';

/** The environment variable that overrides the API endpoint (CLI, CI, the emulator demo). */
export const API_ENDPOINT_ENV = 'SERVELENS_API_ENDPOINT';

export interface ApiEndpoint {
  /** The base URL, without a trailing slash: "http://127.0.0.1:8123". */
  url: string;
  /** Where it came from. */
  source: 'setting' | 'env';
}

const LOOPBACK = new Set(['127.0.0.1', '[::1]', 'localhost']);

/** Checks and normalises an override URL. CloudError 'invalid-endpoint' when it cannot be used. */
export function normaliseApiEndpoint(value: string, from: string): string {
  let u: URL;
  try {
    u = new URL(value.trim());
  } catch {
    throw new CloudError('invalid-endpoint', `The API endpoint ${from} is not a URL: ${value}.`, 'Use a full URL such as https://us-central1-aiplatform.example.com or http://127.0.0.1:8123.');
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:')
    throw new CloudError('invalid-endpoint', `The API endpoint ${from} must be an http(s) URL, not ${u.protocol}.`, 'Use https://, or http:// for a server on this machine.');
  if (u.protocol === 'http:' && !LOOPBACK.has(u.hostname.toLowerCase()))
    throw new CloudError('invalid-endpoint', `The API endpoint ${from} (${u.host}) is plain http on another machine: access tokens would travel unencrypted.`, 'Use https://, or http://127.0.0.1:PORT for a local emulator.');
  if (u.username || u.password || u.search || u.hash)
    throw new CloudError('invalid-endpoint', `The API endpoint ${from} must be a base URL without credentials, query or fragment.`, 'Remove everything after the host and path.');
  return `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '')}`;
}

/**
 * The override to use: the setting (or CLI flag) first, then SERVELENS_API_ENDPOINT; undefined
 * when neither is set (the regional Google hosts are used).
 */
export function resolveApiEndpoint(opts: { setting?: string; env?: NodeJS.ProcessEnv }): ApiEndpoint | undefined {
  const setting = opts.setting?.trim();
  if (setting) return { url: normaliseApiEndpoint(setting, 'setting'), source: 'setting' };
  const env = opts.env?.[API_ENDPOINT_ENV]?.trim();
  if (env) return { url: normaliseApiEndpoint(env, API_ENDPOINT_ENV), source: 'env' };
  return undefined;
}
