import * as vscode from 'vscode';
import { LOG_CHANNEL_NAME } from './constants';

/**
 * The one log channel. Messages are prefixed by component: `log.info('models', '...')`.
 * Tokens and keys never reach it: callers pass only what they would show a user, and `redact`
 * masks anything shaped like a bearer token or private key as a last line of defence.
 */
export interface Logger {
  trace(component: string, message: string): void;
  info(component: string, message: string): void;
  warn(component: string, message: string): void;
  error(component: string, message: string, err?: unknown): void;
  show(): void;
}

const SECRET_PATTERNS: RegExp[] = [
  /\bya29\.[\w-]+/g, // Google OAuth access tokens
  /\bBearer\s+[\w.~+/-]+=*/gi,
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g,
  /"private_key"\s*:\s*"[^"]*"/g,
];

export function redact(text: string): string {
  let out = text;
  for (const re of SECRET_PATTERNS) out = out.replace(re, '[redacted]');
  return out;
}

export function createLogger(): { logger: Logger; channel: vscode.LogOutputChannel } {
  const channel = vscode.window.createOutputChannel(LOG_CHANNEL_NAME, { log: true });
  const fmt = (component: string, message: string) => redact(`[${component}] ${message}`);
  const logger: Logger = {
    trace: (c, m) => channel.trace(fmt(c, m)),
    info: (c, m) => channel.info(fmt(c, m)),
    warn: (c, m) => channel.warn(fmt(c, m)),
    error: (c, m, err) => {
      const stack = err instanceof Error && err.stack ? `\n${err.stack}` : '';
      channel.error(fmt(c, m) + redact(stack));
    },
    show: () => channel.show(true),
  };
  return { logger, channel };
}
