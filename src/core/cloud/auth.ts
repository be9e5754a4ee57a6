/**
 * Where access tokens come from. A `CredentialSource` hands out OAuth access tokens for the
 * `cloud-platform` scope; the HTTP client (http.ts) asks it before each call and calls
 * `invalidate()` when a token is refused (401), then asks once more.
 *
 * Sources, in the order `defaultCredentialSource()` tries them:
 *  1. `SERVELENS_ACCESS_TOKEN` (CI scripts; `EnvTokenSource`) — only when the caller passes `env`;
 *  2. a service-account key file chosen in settings (`ServiceAccountKeySource`): signs its own
 *     short-lived JWTs with the key, as Google's client libraries do (no token exchange);
 *  3. Application Default Credentials through google-auth-library (`AdcSource`):
 *     GOOGLE_APPLICATION_CREDENTIALS, the gcloud ADC file (`gcloud auth application-default login`),
 *     the metadata server on Google Cloud VMs (GCE_METADATA_HOST moves it, e.g. to the emulator);
 *  4. the `gcloud` CLI (`GcloudSource`): `gcloud auth print-access-token`, refreshed before expiry.
 * `FixedTokenSource` is for tests.
 *
 * Tokens never reach logs, error messages or `describe()`: every token handed out is remembered by
 * secrets.ts so `redact()` removes it wherever it turns up, and errors here never include one.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { CloudAuthError, isCloudError, type CloudAuthReason } from './errors';
import { redact, rememberSecret } from './secrets';
import type { GoogleAuth } from 'google-auth-library';

export const CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';

export interface AccessToken {
  token: string;
  /** Epoch milliseconds, when known. */
  expiresAt?: number;
  /** The quota project to bill (`x-goog-user-project`), when the credentials name one. */
  quotaProject?: string;
}

/**
 * How the user is signed in. `adc` covers whatever Application Default Credentials found; `detail`
 * then says which ("authorized_user", "service_account", "metadata-server", "external_account", ...).
 */
export type CredentialKind = 'adc' | 'service-account-key' | 'gcloud' | 'env-token' | 'fixed-token' | 'metadata-server';

export interface CredentialInfo {
  kind: CredentialKind;
  /** The signed-in account (user e-mail or service-account e-mail), when known. */
  account?: string;
  /** The default project of these credentials, when known. */
  project?: string;
  /** More about the kind: the ADC credential type, the key file path. Never a secret. */
  detail?: string;
}

export interface CredentialSource {
  /** A token valid for at least a minute more. Throws CloudAuthError. */
  getAccessToken(signal?: AbortSignal): Promise<AccessToken>;
  /** What is known now about the account and project (filled in by `identify()` and token calls). */
  describe(): CredentialInfo;
  /** Finds the account and project (may ask gcloud or the metadata server); `describe()` then has them. */
  identify?(signal?: AbortSignal): Promise<CredentialInfo>;
  /** Forgets a cached token after the server refused it, so the next call gets a fresh one. */
  invalidate?(): void;
}

/** A token is refreshed this long before it expires. */
const EXPIRY_MARGIN_MS = 60_000;

function cancelled(source: string): CloudAuthError {
  return new CloudAuthError('cancelled', source, 'Sign-in was cancelled.');
}

/** Resolves with `p`, or rejects with a 'cancelled' CloudAuthError as soon as `signal` aborts. */
function abortable<T>(p: Promise<T>, signal: AbortSignal | undefined, source: string): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) return Promise.reject(cancelled(source));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(cancelled(source));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

function issue(token: string, source: string): string {
  if (!token || /\s/.test(token)) throw new CloudAuthError('auth-failed', source, `The ${source} credentials returned no usable access token.`);
  rememberSecret(token);
  return token;
}

// ---------------------------------------------------------------------------------------------
// Fixed tokens.

/** A token given by the caller (tests, or a token obtained elsewhere). Never refreshed. */
export class FixedTokenSource implements CredentialSource {
  readonly #token: string;
  readonly #info: CredentialInfo;

  constructor(token: string, info: Partial<CredentialInfo> = {}) {
    this.#token = issue(token.trim(), 'fixed-token');
    this.#info = { kind: 'fixed-token', ...info };
  }

  async getAccessToken(signal?: AbortSignal): Promise<AccessToken> {
    if (signal?.aborted) throw cancelled(this.#info.kind);
    return { token: this.#token };
  }

  describe(): CredentialInfo {
    return { ...this.#info };
  }
}

/** The variable CI scripts put a token in. */
export const ACCESS_TOKEN_ENV = 'SERVELENS_ACCESS_TOKEN';

/** A token from `SERVELENS_ACCESS_TOKEN`; undefined when the variable is unset or empty. */
export function envTokenSource(env: NodeJS.ProcessEnv): CredentialSource | undefined {
  const token = env[ACCESS_TOKEN_ENV]?.trim();
  if (!token) return undefined;
  return new FixedTokenSource(token, { kind: 'env-token', detail: ACCESS_TOKEN_ENV });
}

// ---------------------------------------------------------------------------------------------
// Application Default Credentials (google-auth-library).

type AuthClientLike = {
  getRequestHeaders(url?: string): Promise<Headers>;
  credentials?: { expiry_date?: number | null };
  quotaProjectId?: string;
  email?: string;
  constructor: { name: string };
};

/** google-auth-library's message when ADC finds nothing (GoogleAuthExceptionMessages.NO_ADC_FOUND). */
const NO_ADC = /Could not load the default credentials/i;

const ADC_HINT =
  'Run `gcloud auth application-default login`, or set GOOGLE_APPLICATION_CREDENTIALS to a service-account key file, or choose a key file in the settings.';

/** Maps a google-auth-library / gaxios failure to a CloudAuthError without any secret in it. */
function adcError(err: unknown, source: string): CloudAuthError {
  if (err instanceof CloudAuthError) return err;
  const raw = err instanceof Error ? err.message : String(err);
  const message = redact(raw).split('\n')[0]!.slice(0, 300);
  const data = (err as { response?: { data?: unknown } }).response?.data;
  const oauthError = typeof data === 'object' && data !== null ? String((data as { error?: unknown }).error ?? '') : '';
  if (NO_ADC.test(raw)) return new CloudAuthError('no-credentials', source, 'No Google Cloud credentials found (Application Default Credentials).', ADC_HINT);
  if (/GOOGLE_APPLICATION_CREDENTIALS/.test(raw))
    return new CloudAuthError('invalid-key-file', source, `The file GOOGLE_APPLICATION_CREDENTIALS names cannot be used: ${message}`, 'Point GOOGLE_APPLICATION_CREDENTIALS at a readable JSON key or credentials file, or unset it.');
  if (oauthError === 'invalid_grant' || oauthError === 'invalid_rapt' || /invalid_grant|invalid_rapt|reauth|expired or revoked/i.test(raw))
    return new CloudAuthError('expired', source, 'The Application Default Credentials need a new sign-in (the refresh token expired or was revoked).', 'Run `gcloud auth application-default login`.');
  if (/metadata|computeMetadata|169\.254\.169\.254/i.test(raw))
    return new CloudAuthError('auth-failed', source, `The metadata server did not give a token: ${message}`, "Check the VM's service account, or sign in with `gcloud auth application-default login`.");
  return new CloudAuthError('auth-failed', source, `Could not get an access token from Application Default Credentials: ${message}`, ADC_HINT);
}

function adcDetail(client: AuthClientLike): string {
  switch (client.constructor.name) {
    case 'Compute':
      return 'metadata-server';
    case 'JWT':
      return 'service_account';
    case 'UserRefreshClient':
      return 'authorized_user';
    case 'Impersonated':
      return 'impersonated_service_account';
    default:
      return /External|Identity|Aws|Pluggable/.test(client.constructor.name) ? 'external_account' : client.constructor.name;
  }
}

export interface AdcOptions {
  scopes?: string[];
  /** A key or credentials file to use instead of the ADC search (a settings choice). */
  keyFile?: string;
  /** Injected for tests; otherwise one is created on first use. */
  googleAuth?: GoogleAuth;
}

/**
 * Application Default Credentials. google-auth-library searches GOOGLE_APPLICATION_CREDENTIALS, the
 * gcloud ADC file (CLOUDSDK_CONFIG or ~/.config/gcloud/application_default_credentials.json) and
 * the metadata server (GCE_METADATA_HOST); it caches and refreshes tokens itself. Service-account
 * keys sign self-signed JWTs, as Google's client libraries do (no call to the token endpoint).
 */
export class AdcSource implements CredentialSource {
  readonly #opts: AdcOptions;
  #auth?: GoogleAuth;
  #info: CredentialInfo = { kind: 'adc' };

  constructor(opts: AdcOptions = {}) {
    this.#opts = opts;
  }

  #googleAuth(): GoogleAuth {
    if (!this.#auth) {
      if (this.#opts.googleAuth) this.#auth = this.#opts.googleAuth;
      else {
        // Loaded on first use: commands that never sign in do not pay for the library.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { GoogleAuth: Ctor } = require('google-auth-library') as typeof import('google-auth-library');
        const opts: ConstructorParameters<typeof Ctor>[0] = { scopes: this.#opts.scopes ?? [CLOUD_PLATFORM_SCOPE] };
        if (this.#opts.keyFile) opts.keyFilename = this.#opts.keyFile;
        // gcp-metadata remembers for the whole process whether a metadata server answered; a new
        // source (a refresh, a changed setting or GCE_METADATA_HOST) must look again, not inherit it.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        (require('gcp-metadata') as typeof import('gcp-metadata')).resetIsAvailableCache();
        this.#auth = new Ctor(opts);
      }
      this.#auth.useJWTAccessWithScope = true;
    }
    return this.#auth;
  }

  async #client(signal?: AbortSignal): Promise<AuthClientLike> {
    try {
      return (await abortable(this.#googleAuth().getClient(), signal, 'adc')) as unknown as AuthClientLike;
    } catch (err) {
      throw adcError(err, 'adc');
    }
  }

  async getAccessToken(signal?: AbortSignal): Promise<AccessToken> {
    const client = await this.#client(signal);
    let headers: Headers;
    try {
      headers = await abortable(client.getRequestHeaders(), signal, 'adc');
    } catch (err) {
      throw adcError(err, 'adc');
    }
    const auth = headers.get('authorization') ?? '';
    const token = issue(auth.replace(/^Bearer\s+/i, ''), 'adc');
    const detail = adcDetail(client);
    this.#info = { ...this.#info, kind: detail === 'metadata-server' ? 'metadata-server' : 'adc', detail };
    const out: AccessToken = { token };
    const expiry = client.credentials?.expiry_date;
    if (typeof expiry === 'number' && expiry > 1) out.expiresAt = expiry;
    const quota = headers.get('x-goog-user-project') ?? client.quotaProjectId;
    if (quota) out.quotaProject = quota;
    return out;
  }

  describe(): CredentialInfo {
    return { ...this.#info };
  }

  async identify(signal?: AbortSignal): Promise<CredentialInfo> {
    const auth = this.#googleAuth();
    await this.getAccessToken(signal);
    const [project, creds] = await Promise.all([
      abortable(auth.getProjectId(), signal, 'adc').catch(() => undefined),
      abortable(auth.getCredentials(), signal, 'adc').catch(() => undefined),
    ]);
    if (project) this.#info.project = project;
    if (creds?.client_email) this.#info.account = creds.client_email;
    return this.describe();
  }
}

// ---------------------------------------------------------------------------------------------
// A service-account key file chosen in settings.

/** The most bytes read from a key file (they are about 2.3 KB). */
const MAX_KEY_FILE_BYTES = 256 * 1024;

interface ServiceAccountKey {
  type: 'service_account';
  client_email: string;
  private_key: string;
  private_key_id?: string;
  project_id?: string;
}

/**
 * A service-account JSON key file (settings). Signs a JWT with the key for each hour (a
 * "self-signed JWT" with the cloud-platform scope, which Google APIs accept as an access token), so
 * no token endpoint is called. A file of another type (authorized_user, external_account) is
 * handed to google-auth-library as is.
 */
export class ServiceAccountKeySource implements CredentialSource {
  readonly #path: string;
  readonly #scopes: string[];
  #key?: ServiceAccountKey;
  #other?: AdcSource;
  #cached?: AccessToken;
  #info: CredentialInfo;

  constructor(path: string, opts: { scopes?: string[] } = {}) {
    this.#path = path;
    this.#scopes = opts.scopes ?? [CLOUD_PLATFORM_SCOPE];
    this.#info = { kind: 'service-account-key', detail: path };
  }

  async #load(): Promise<void> {
    if (this.#key || this.#other) return;
    const fail = (why: string) =>
      new CloudAuthError('invalid-key-file', 'service-account-key', `The key file ${this.#path} cannot be used: ${why}.`, 'Choose a JSON key file downloaded for a service account (IAM & Admin → Service accounts → Keys), or clear the key file setting to use Application Default Credentials.');
    let text: string;
    try {
      const buf = await readFile(this.#path);
      if (buf.length > MAX_KEY_FILE_BYTES) throw fail(`it has ${buf.length} bytes, more than a key file holds`);
      text = buf.toString('utf8');
    } catch (err) {
      if (err instanceof CloudAuthError) throw err;
      throw fail(((err as NodeJS.ErrnoException).code ?? 'unreadable').toString());
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw fail('it is not JSON');
    }
    const o = (typeof json === 'object' && json !== null ? json : {}) as Record<string, unknown>;
    if (o.type === 'service_account') {
      if (typeof o.client_email !== 'string' || typeof o.private_key !== 'string' || !o.private_key.includes('PRIVATE KEY'))
        throw fail('it lacks client_email or private_key');
      this.#key = o as unknown as ServiceAccountKey;
      this.#info = { ...this.#info, account: this.#key.client_email };
      if (this.#key.project_id) this.#info.project = this.#key.project_id;
      return;
    }
    if (typeof o.type === 'string') {
      this.#other = new AdcSource({ keyFile: this.#path, scopes: this.#scopes });
      this.#info = { ...this.#info, detail: `${this.#path} (${o.type})` };
      return;
    }
    throw fail('it has no "type" field');
  }

  async getAccessToken(signal?: AbortSignal): Promise<AccessToken> {
    if (signal?.aborted) throw cancelled('service-account-key');
    await this.#load();
    if (this.#other) return this.#other.getAccessToken(signal);
    const now = Date.now();
    if (this.#cached?.expiresAt && this.#cached.expiresAt - EXPIRY_MARGIN_MS > now) return this.#cached;
    const key = this.#key!;
    let jwt: string;
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { JWTAccess } = require('google-auth-library') as typeof import('google-auth-library');
      const access = new JWTAccess(key.client_email, key.private_key, key.private_key_id);
      const headers = access.getRequestHeaders(undefined, undefined, this.#scopes);
      jwt = (headers.get('authorization') ?? '').replace(/^Bearer\s+/i, '');
    } catch (err) {
      throw new CloudAuthError('invalid-key-file', 'service-account-key', `The key in ${this.#path} cannot sign: ${redact(err instanceof Error ? err.message : String(err)).slice(0, 200)}.`, 'The private key may be damaged; download a new key for the service account.');
    }
    this.#cached = { token: issue(jwt, 'service-account-key'), expiresAt: now + 3_600_000 };
    return this.#cached;
  }

  describe(): CredentialInfo {
    return this.#other ? { ...this.#other.describe(), ...this.#info, kind: 'service-account-key' } : { ...this.#info };
  }

  async identify(signal?: AbortSignal): Promise<CredentialInfo> {
    await this.#load();
    if (this.#other) await this.#other.identify(signal);
    return this.describe();
  }

  invalidate(): void {
    this.#cached = undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// The gcloud CLI.

export interface GcloudOptions {
  /** The gcloud executable (default "gcloud", "gcloud.cmd" on Windows). */
  command?: string;
  /** Time-out for one gcloud run, in milliseconds (default 20 s). */
  timeoutMs?: number;
  /**
   * How long a printed token is reused (default 5 minutes). gcloud does not say when its token
   * expires; it hands out its cached token until close to expiry and refreshes it then, so asking
   * again every few minutes keeps the token fresh without a gcloud run per request. A 401 makes
   * the HTTP client call `invalidate()` and ask again at once.
   */
  reuseMs?: number;
  env?: NodeJS.ProcessEnv;
}

/** The most output read from one gcloud run (a token is about 200 bytes). */
const MAX_GCLOUD_OUTPUT = 1024 * 1024;

interface RunResult {
  stdout: string;
  stderr: string;
}

/** A failure of the gcloud CLI as a typed error; stderr is redacted and cut short, stdout never shown. */
function gcloudError(err: Error & { code?: string | number | null; killed?: boolean; stderr?: string }, args: string[], timeoutMs: number): CloudAuthError {
  const cmd = `gcloud ${args.join(' ')}`;
  if (err.code === 'ENOENT')
    return new CloudAuthError('no-credentials', 'gcloud', 'No Google Cloud credentials found: there are no Application Default Credentials and the gcloud CLI is not installed (or not on PATH).', 'Install the Google Cloud CLI and run `gcloud auth application-default login`, or set GOOGLE_APPLICATION_CREDENTIALS to a service-account key file.');
  if (err.killed || err.code === 'ETIMEDOUT')
    return new CloudAuthError('gcloud-failed', 'gcloud', `\`${cmd}\` did not finish within ${Math.round(timeoutMs / 1000)} s.`, 'Run the command in a terminal to see what it waits for (a prompt, the network), or sign in with `gcloud auth application-default login`.');
  const stderr = redact(err.stderr ?? '').trim();
  const firstLine = stderr.split('\n').find((l) => l.trim()) ?? '';
  let reason: CloudAuthReason = 'gcloud-failed';
  let hint = 'Run `gcloud auth login` (or `gcloud auth application-default login`).';
  if (/reauthenticat|invalid_grant|expired|revoked|refresh/i.test(stderr)) reason = 'expired';
  else if (/no credentialed accounts|do not currently have an active account|not logged in/i.test(stderr)) {
    reason = 'no-credentials';
    hint = 'Sign in with `gcloud auth login`, or use `gcloud auth application-default login` for Application Default Credentials.';
  }
  return new CloudAuthError(reason, 'gcloud', `\`${cmd}\` failed${firstLine ? `: ${firstLine.slice(0, 300).replace(/\.+$/, '')}` : ` (exit code ${String(err.code)})`}.`, hint);
}

/**
 * Tokens from the gcloud CLI (`gcloud auth print-access-token`), for people signed in to gcloud
 * but without Application Default Credentials. Account and project from `gcloud config list`.
 */
export class GcloudSource implements CredentialSource {
  readonly #command: string;
  readonly #timeoutMs: number;
  readonly #reuseMs: number;
  readonly #env: NodeJS.ProcessEnv;
  #cached?: AccessToken;
  #pending?: { run: Promise<AccessToken>; stop: AbortController; waiting: number };
  #info: CredentialInfo = { kind: 'gcloud' };

  constructor(opts: GcloudOptions = {}) {
    this.#command = opts.command ?? (process.platform === 'win32' ? 'gcloud.cmd' : 'gcloud');
    this.#timeoutMs = opts.timeoutMs ?? 20_000;
    this.#reuseMs = opts.reuseMs ?? 5 * 60_000;
    this.#env = { ...(opts.env ?? process.env), CLOUDSDK_CORE_DISABLE_PROMPTS: '1' };
  }

  /**
   * Runs gcloud in its own process group (POSIX), so a time-out or a cancel kills gcloud and
   * whatever it started (its Python), not just the wrapper script.
   */
  #run(args: string[], signal?: AbortSignal): Promise<RunResult> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(cancelled('gcloud'));
      const posix = process.platform !== 'win32';
      let child: ReturnType<typeof spawn>;
      try {
        child = spawn(this.#command, args, {
          env: this.#env,
          windowsHide: true,
          detached: posix,
          stdio: ['ignore', 'pipe', 'pipe'],
          // .cmd files need a shell on Windows; the arguments are fixed strings, never user input.
          shell: !posix,
        });
      } catch (err) {
        return reject(gcloudError(err as Error & { code?: string }, args, this.#timeoutMs));
      }
      const out: Buffer[] = [];
      const errOut: Buffer[] = [];
      let bytes = 0;
      const collect = (into: Buffer[]) => (chunk: Buffer) => {
        bytes += chunk.length;
        if (bytes <= MAX_GCLOUD_OUTPUT) into.push(chunk);
      };
      child.stdout!.on('data', collect(out));
      child.stderr!.on('data', collect(errOut));
      let settled = false;
      const finish = (fn: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        fn();
      };
      const kill = () => {
        try {
          if (posix && child.pid) process.kill(-child.pid, 'SIGKILL');
          else child.kill('SIGKILL');
        } catch {
          // already gone
        }
      };
      const timer = setTimeout(() => {
        kill();
        finish(() => reject(gcloudError(Object.assign(new Error('timeout'), { killed: true }), args, this.#timeoutMs)));
      }, this.#timeoutMs);
      const onAbort = () => {
        kill();
        finish(() => reject(cancelled('gcloud')));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      child.on('error', (err) => finish(() => reject(gcloudError(err, args, this.#timeoutMs))));
      child.on('close', (code) => {
        const stdout = Buffer.concat(out).toString('utf8');
        const stderr = Buffer.concat(errOut).toString('utf8');
        if (code === 0) finish(() => resolve({ stdout, stderr }));
        else finish(() => reject(gcloudError(Object.assign(new Error('exit'), { code, stderr }), args, this.#timeoutMs)));
      });
    });
  }

  async getAccessToken(signal?: AbortSignal): Promise<AccessToken> {
    const now = Date.now();
    if (this.#cached?.expiresAt && this.#cached.expiresAt > now) return this.#cached;
    // One gcloud run at a time, shared by concurrent callers (12 regions listed at once ask
    // together). It is stopped when every caller waiting for it has cancelled.
    if (!this.#pending) {
      const stop = new AbortController();
      const run = (async () => {
        try {
          const { stdout } = await this.#run(['auth', 'print-access-token'], stop.signal);
          const token = issue(stdout.trim(), 'gcloud');
          this.#cached = { token, expiresAt: Date.now() + this.#reuseMs };
          return this.#cached;
        } finally {
          this.#pending = undefined;
        }
      })();
      this.#pending = { run, stop, waiting: 0 };
    }
    const pending = this.#pending;
    pending.waiting++;
    try {
      return await abortable(pending.run, signal, 'gcloud');
    } finally {
      if (--pending.waiting === 0 && signal?.aborted) pending.stop.abort();
    }
  }

  describe(): CredentialInfo {
    return { ...this.#info };
  }

  async identify(signal?: AbortSignal): Promise<CredentialInfo> {
    const { stdout } = await this.#run(['config', 'list', '--format=json'], signal);
    try {
      const core = (JSON.parse(stdout) as { core?: { account?: unknown; project?: unknown } }).core ?? {};
      if (typeof core.account === 'string' && core.account) this.#info.account = core.account;
      if (typeof core.project === 'string' && core.project) this.#info.project = core.project;
    } catch {
      throw new CloudAuthError('gcloud-failed', 'gcloud', '`gcloud config list --format=json` did not print JSON.', 'Update the Google Cloud CLI (`gcloud components update`).');
    }
    return this.describe();
  }

  invalidate(): void {
    this.#cached = undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// The chain.

/**
 * Tries its sources in order and keeps the first one that gives a token. A source that has no
 * credentials at all ('no-credentials') passes to the next; any other failure (expired, refused)
 * is reported as is, since falling through would hide it.
 */
export class ChainedSource implements CredentialSource {
  readonly #sources: CredentialSource[];
  #chosen?: CredentialSource;
  #nothing?: { error: CloudAuthError; until: number };

  constructor(sources: CredentialSource[]) {
    if (sources.length === 0) throw new Error('ChainedSource needs at least one source');
    this.#sources = sources;
  }

  async getAccessToken(signal?: AbortSignal): Promise<AccessToken> {
    if (this.#chosen) return this.#chosen.getAccessToken(signal);
    // The calls of one listing (a dozen regions) learn "no credentials" once, not once each.
    if (this.#nothing && Date.now() < this.#nothing.until) throw this.#nothing.error;
    const missing: CloudAuthError[] = [];
    for (const source of this.#sources) {
      try {
        const token = await source.getAccessToken(signal);
        this.#chosen = source;
        return token;
      } catch (err) {
        if (!isCloudError(err, 'no-credentials')) throw err;
        missing.push(err as CloudAuthError);
      }
    }
    // Nothing anywhere: say what each source found, and give the first (the preferred) way to sign in.
    const error = missing.length === 1 ? missing[0]! : new CloudAuthError('no-credentials', 'chain', missing.map((e) => e.message).join(' '), missing[0]!.hint);
    this.#nothing = { error, until: Date.now() + NO_CREDENTIALS_MEMORY_MS };
    throw error;
  }

  describe(): CredentialInfo {
    return (this.#chosen ?? this.#sources[0]!).describe();
  }

  async identify(signal?: AbortSignal): Promise<CredentialInfo> {
    await this.getAccessToken(signal);
    const chosen = this.#chosen!;
    return chosen.identify ? chosen.identify(signal) : chosen.describe();
  }

  invalidate(): void {
    this.#chosen?.invalidate?.();
  }

  /** Forget a remembered "no credentials" (after the user signed in). */
  reset(): void {
    this.#nothing = undefined;
    this.#chosen = undefined;
  }
}

/** How long ChainedSource answers "no credentials" without asking its sources again. */
const NO_CREDENTIALS_MEMORY_MS = 5_000;

export interface DefaultCredentialOptions {
  /** A key file chosen in settings: used alone when set. */
  keyFile?: string;
  /** Honour SERVELENS_ACCESS_TOKEN from this environment (the CLI passes process.env). */
  env?: NodeJS.ProcessEnv;
  gcloud?: GcloudOptions;
  /** Leave the gcloud CLI fallback out. */
  noGcloud?: boolean;
}

/**
 * The sign-in ServeLens uses: SERVELENS_ACCESS_TOKEN (when `env` is given), else the key file from
 * settings, else Application Default Credentials falling back to the gcloud CLI.
 */
export function defaultCredentialSource(opts: DefaultCredentialOptions = {}): CredentialSource {
  const fromEnv = opts.env ? envTokenSource(opts.env) : undefined;
  if (fromEnv) return fromEnv;
  if (opts.keyFile) return new ServiceAccountKeySource(opts.keyFile);
  const sources: CredentialSource[] = [new AdcSource()];
  if (!opts.noGcloud) sources.push(new GcloudSource(opts.gcloud));
  return new ChainedSource(sources);
}
