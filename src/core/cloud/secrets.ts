/**
 * Keeping access tokens and keys out of everything ServeLens writes: error messages, hints, log
 * lines, `describe()` results. Two layers:
 *  - every token a credential source hands out is remembered here (the last few, in memory only),
 *    and `redact()` replaces any occurrence of one of them;
 *  - patterns catch credentials we never saw: OAuth access tokens (`ya29.`), refresh tokens (`1//`),
 *    JWTs, `Bearer ...` header values, PEM private keys and a key file's `"private_key"` field.
 * Errors and log lines built in src/core/cloud pass their text through `redact()`; nothing else in
 * the cloud code keeps a token longer than one request.
 */

const MAX_REMEMBERED = 32;
const remembered: string[] = [];

/** Remembers a secret so `redact()` removes it wherever it turns up. Short strings are ignored. */
export function rememberSecret(secret: string): void {
  if (secret.length < 8 || remembered.includes(secret)) return;
  remembered.push(secret);
  if (remembered.length > MAX_REMEMBERED) remembered.shift();
}

export const REDACTED = '[redacted]';

const PATTERNS: [RegExp, string][] = [
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g, REDACTED],
  [/("private_key"\s*:\s*")[^"]*"/g, `$1${REDACTED}"`],
  [/\b(Bearer)\s+[A-Za-z0-9\-._~+/]+=*/gi, `$1 ${REDACTED}`],
  [/\bya29\.[A-Za-z0-9\-._~+/]+/g, REDACTED],
  [/\b1\/\/[A-Za-z0-9\-_]{20,}/g, REDACTED],
  [/\beyJ[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]*/g, REDACTED],
];

/** The text with every remembered secret and every credential-looking substring replaced. */
export function redact(text: string): string {
  let out = text;
  for (const secret of remembered) {
    if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  }
  for (const [re, replacement] of PATTERNS) out = out.replace(re, replacement);
  return out;
}
