/**
 * ServeLens's Google Cloud and TF Serving core: sign-in, the HTTP path with retries and typed
 * errors, and the REST clients. Pure Node (no `vscode`); the editor's trees and the CLI build on it.
 * See docs/cloud.md for the API and the settings it expects.
 *
 *   const http = new HttpClient({ credentials: defaultCredentialSource({ keyFile }), log });
 *   const vertex = new VertexClient({ http, apiEndpoint: resolveApiEndpoint({ setting, env })?.url });
 *   const results = await listAcrossRegions(project, regions, (r, signal) =>
 *     listAll((pageToken, s) => vertex.listEndpoints(project, r, { pageToken, signal: s ?? signal })));
 */
export * from './contract';
export * from './errors';
export * from './auth';
export * from './http';
export * from './paging';
export * from './regions';
export * from './endpoint';
export * from './names';
export * from './vertex';
export * from './aiplatform';
export * from './tfserving';
export * from './storage';
export * from './predict';
export { redact } from './secrets';
export { userAgent, servelensVersion } from './version';
