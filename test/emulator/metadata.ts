/**
 * The GCE metadata server, as far as google-auth-library and gcp-metadata use it: the probe (`/` and
 * `/computeMetadata/v1/instance`), the default service account's token, email and scopes, an ID
 * token, the project id and number, the universe domain. Every answer carries
 * `Metadata-Flavor: Google`; requests under /computeMetadata/v1 without that header get a 403.
 * Point google-auth-library here with GCE_METADATA_HOST=127.0.0.1:PORT.
 */
import { DEFAULT_METADATA_TOKEN } from './access';
import type { EmuContext } from './context';
import { jsonResponse, textResponse, type EmuRequest, type EmuResponse } from './http';

const FLAVOR = { 'metadata-flavor': 'Google' };
const TEXT = 'application/text';

function text(status: number, body: string): EmuResponse {
  return textResponse(status, body, TEXT, FLAVOR);
}

function notFound(path: string): EmuResponse {
  return textResponse(404, `<!DOCTYPE html>\n<html lang=en>\n<title>Error 404 (Not Found)!!1</title>\n<p>The requested URL <code>${path.replace(/[<>&]/g, '')}</code> was not found on this server.\n`, 'text/html; charset=UTF-8', FLAVOR);
}

export interface MetadataCounters {
  tokens: number;
}

function b64url(v: unknown): string {
  return Buffer.from(JSON.stringify(v)).toString('base64url');
}

/** Answers a metadata-server request, or undefined when the path is not one. */
export function handleMetadata(req: EmuRequest, ctx: EmuContext, counters: MetadataCounters): EmuResponse | undefined {
  const path = req.url.pathname;
  if (path !== '/' && path !== '/computeMetadata' && !path.startsWith('/computeMetadata/')) return undefined;
  if (req.method !== 'GET') return textResponse(405, 'Method Not Allowed', TEXT, FLAVOR);
  if (path === '/' || path === '/computeMetadata' || path === '/computeMetadata/') return text(200, 'computeMetadata/\n');
  if (req.headers['metadata-flavor'] !== 'Google') {
    return textResponse(403, `<!DOCTYPE html>\n<html lang=en>\n<title>Error 403 (Forbidden)!!1</title>\n<p>Your client does not have permission to get URL <code>${path.replace(/[<>&]/g, '')}</code> from this server. Missing Metadata-Flavor:Google header.\n`, 'text/html; charset=UTF-8', FLAVOR);
  }
  const auth = ctx.state.auth ?? {};
  const projectId = auth.metadataProject ?? Object.keys(ctx.state.projects)[0] ?? 'servelens-emulator';
  const projectNumber = ctx.state.projects[projectId]?.number ?? '0';
  const email = auth.serviceAccountEmail ?? `emulator@${projectId}.iam.gserviceaccount.com`;
  const scopes = ['https://www.googleapis.com/auth/cloud-platform', 'https://www.googleapis.com/auth/userinfo.email'];
  if (path !== '/computeMetadata/v1' && !path.startsWith('/computeMetadata/v1/')) return notFound(path);
  const rest = path.slice('/computeMetadata/v1'.length).replace(/\/+$/, '/') || '/';
  const recursive = req.url.searchParams.get('recursive') === 'true';
  const sa = /^\/instance\/service-accounts\/(default|[^/]+@[^/]+)(\/.*)?$/.exec(rest);
  if (sa && sa[1] !== 'default' && sa[1] !== email) return notFound(path);
  const saPath = sa ? (sa[2] ?? '') : undefined;

  switch (saPath ?? rest) {
    case '/':
      return text(200, 'instance/\noauth2/\nproject/\nuniverse/\n');
    case '/instance':
    case '/instance/':
      return recursive
        ? jsonResponse(200, { id: 1234567890123456, zone: `projects/${projectNumber}/zones/us-central1-a`, serviceAccounts: { default: { aliases: ['default'], email, scopes } } }, FLAVOR)
        : text(200, 'attributes/\nhostname\nid\nservice-accounts/\nzone\n');
    case '/instance/zone':
      return text(200, `projects/${projectNumber}/zones/us-central1-a`);
    case '/instance/service-accounts':
    case '/instance/service-accounts/':
      return text(200, `default/\n${email}/\n`);
    case '/project/project-id':
      return text(200, projectId);
    case '/project/numeric-project-id':
      return text(200, projectNumber);
    case '/universe/universe-domain':
      return text(200, 'googleapis.com');
  }
  if (saPath !== undefined) {
    switch (saPath) {
      case '':
      case '/':
        return recursive ? jsonResponse(200, { aliases: ['default'], email, scopes }, FLAVOR) : text(200, 'aliases\nemail\nidentity\nscopes\ntoken\n');
      case '/email':
        return text(200, email);
      case '/aliases':
        return text(200, 'default\n');
      case '/scopes':
        return text(200, `${scopes.join('\n')}\n`);
      case '/token':
        counters.tokens++;
        return jsonResponse(200, { access_token: auth.metadataToken ?? DEFAULT_METADATA_TOKEN, expires_in: auth.tokenExpiresIn ?? 3599, token_type: 'Bearer' }, FLAVOR);
      case '/identity': {
        const audience = req.url.searchParams.get('audience');
        if (!audience) return textResponse(400, 'non-empty audience parameter required', TEXT, FLAVOR);
        const now = Math.floor(Date.now() / 1000);
        const jwt = `${b64url({ alg: 'RS256', typ: 'JWT', kid: 'emulator' })}.${b64url({ aud: audience, azp: email, email, email_verified: true, exp: now + 3600, iat: now, iss: 'https://accounts.google.com', sub: '1234567890' })}.ZW11bGF0b3I`;
        return text(200, jwt);
      }
    }
  }
  return notFound(path);
}
