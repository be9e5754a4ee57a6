/**
 * Authentication and authorization answers shaped as Google sends them: 401 UNAUTHENTICATED with an
 * ErrorInfo (CREDENTIALS_MISSING, ACCESS_TOKEN_EXPIRED, ACCESS_TOKEN_TYPE_UNSUPPORTED), 403
 * PERMISSION_DENIED with reason IAM_PERMISSION_DENIED, and 403 PERMISSION_DENIED with reason
 * SERVICE_DISABLED for an API not enabled. Cloud Storage keeps its own error shape.
 */
import { errorInfo, rpcError, storageError, type EmuRequest, type EmuResponse } from './http';
import type { AccessMode, EmulatorState, ProjectState, ServiceName } from './types';

export const DEFAULT_METADATA_TOKEN = 'ya29.servelens-emulator-token';

const SERVICE_TITLES: Record<ServiceName, string> = {
  'aiplatform.googleapis.com': 'Vertex AI API',
  'ml.googleapis.com': 'AI Platform Training & Prediction API',
  'storage.googleapis.com': 'Cloud Storage JSON API',
};

const WWW_AUTHENTICATE = { 'www-authenticate': 'Bearer realm="https://accounts.google.com/"' };

/** The bearer token of a request (header, or the `access_token` query parameter Google also accepts). */
export function bearerToken(req: EmuRequest): string | undefined {
  const h = req.headers.authorization;
  if (typeof h === 'string') {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
    return m ? m[1] : '';
  }
  return req.url.searchParams.get('access_token') ?? undefined;
}

export function acceptedTokens(state: EmulatorState): Set<string> {
  return new Set([state.auth?.metadataToken ?? DEFAULT_METADATA_TOKEN, ...(state.auth?.acceptedTokens ?? [])]);
}

/** undefined when the request may go on; otherwise the 401 to answer. */
export function checkAuth(req: EmuRequest, state: EmulatorState, service: ServiceName, method: string): EmuResponse | undefined {
  if (!state.auth?.required) return undefined;
  const token = bearerToken(req);
  if (token && acceptedTokens(state).has(token)) return undefined;
  const expired = token !== undefined && token !== '' && (state.auth.expiredTokens ?? []).includes(token);
  if (service === 'storage.googleapis.com') {
    return token
      ? storageError(401, 'authError', 'Invalid Credentials', {}, WWW_AUTHENTICATE)
      : storageError(401, 'required', `Anonymous caller does not have ${method} access to the Google Cloud Storage object. Permission '${method}' denied on resource (or it may not exist).`, {}, WWW_AUTHENTICATE);
  }
  const reason = !token ? 'CREDENTIALS_MISSING' : expired ? 'ACCESS_TOKEN_EXPIRED' : 'ACCESS_TOKEN_TYPE_UNSUPPORTED';
  const message = !token
    ? 'Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.'
    : 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.';
  return rpcError('UNAUTHENTICATED', message, [errorInfo(reason, 'googleapis.com', { service, method })], WWW_AUTHENTICATE);
}

export function accessMode(project: ProjectState, service: ServiceName): AccessMode | undefined {
  const a = project.access;
  if (!a) return undefined;
  return typeof a === 'string' ? a : a[service];
}

/** The 403 a refused (or unknown) project answers for `permission` on `resource`. */
export function refusal(
  service: ServiceName,
  mode: AccessMode,
  permission: string,
  resource: string,
  projectNumber: string,
): EmuResponse {
  if (mode === 'SERVICE_DISABLED') {
    const url = `https://console.developers.google.com/apis/api/${service}/overview?project=${projectNumber}`;
    const message =
      `${SERVICE_TITLES[service]} has not been used in project ${projectNumber} before or it is disabled. ` +
      `Enable it by visiting ${url} then retry. If you enabled this API recently, wait a few minutes for the action to propagate to our systems and retry.`;
    const details = [
      errorInfo('SERVICE_DISABLED', 'googleapis.com', {
        service,
        consumer: `projects/${projectNumber}`,
        activationUrl: url,
        serviceTitle: SERVICE_TITLES[service],
        containerInfo: projectNumber,
      }),
      { '@type': 'type.googleapis.com/google.rpc.LocalizedMessage', locale: 'en-US', message },
      { '@type': 'type.googleapis.com/google.rpc.Help', links: [{ description: 'Google developers console API activation', url }] },
    ];
    if (service === 'storage.googleapis.com') {
      return storageError(403, 'accessNotConfigured', message, { status: 'PERMISSION_DENIED', details });
    }
    return rpcError('PERMISSION_DENIED', message, details);
  }
  if (service === 'storage.googleapis.com') {
    return storageError(403, 'forbidden', `emulator caller does not have ${permission} access to the Google Cloud Storage object. Permission '${permission}' denied on resource (or it may not exist).`);
  }
  const message = `Permission '${permission}' denied on resource '//${service}/${resource}' (or it may not exist).`;
  return rpcError('PERMISSION_DENIED', message, [
    errorInfo('IAM_PERMISSION_DENIED', service, { permission, resource }),
  ]);
}
