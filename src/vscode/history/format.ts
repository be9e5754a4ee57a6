/**
 * How a history entry reads in the History tree (label, description with relative time and
 * latency, tooltip) and the history's bounds from the settings. Plain functions (no `vscode`), so
 * they are unit-tested as is.
 */
import type { HistoryEntry, HistoryLimits } from '../../core/predict/history';

/** The settings of the history (section `servelens`). */
export const HistorySettings = {
  maxEntries: 'history.maxEntries',
  maxMegabytes: 'history.maxMegabytes',
} as const;

/** The bounds from the settings; values that are not usable numbers fall back to the store's defaults. */
export function historyLimits(config: { get(key: string): unknown }): HistoryLimits {
  const limits: HistoryLimits = {};
  const entries = Number(config.get(HistorySettings.maxEntries));
  if (Number.isFinite(entries) && entries >= 1) limits.maxEntries = Math.floor(entries);
  const raw = config.get(HistorySettings.maxMegabytes);
  const mb = raw === undefined || raw === null || raw === '' ? NaN : Number(raw);
  if (Number.isFinite(mb) && mb >= 0) limits.maxBytes = Math.floor(mb * 1024 * 1024);
  return limits;
}

/** "Predict · local saved_model_half_plus_two_cpu/00000123", "Explain · Vertex AI endpoint E (us-central1)". */
export function callLabel(e: Pick<HistoryEntry, 'op' | 'target'>): string {
  return `${e.op === 'explain' ? 'Explain' : 'Predict'} · ${e.target.label}`;
}

/** "just now", "42 s ago", "5 min ago", "3 h ago", "2 d ago", then the date. `now` in ms. */
export function relativeTime(iso: string, now: number): string {
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return 'unknown time';
  const s = Math.round((now - t) / 1000);
  if (s < 5) return 'just now';
  if (s < 60) return `${s} s ago`;
  const min = Math.floor(s / 60);
  if (min < 60) return `${min} min ago`;
  const h = Math.floor(min / 60);
  if (h < 24) return `${h} h ago`;
  const d = Math.floor(h / 24);
  if (d < 14) return `${d} d ago`;
  return new Date(t).toISOString().slice(0, 10);
}

/** "850 ms", "1.25 s", "2 min 5 s". */
export function formatLatency(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min ${s % 60} s`;
}

/** "512 B", "1.5 KB", "2.3 MB" (1 KB = 1024 B). */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '';
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

/** The tree item's description: "5 min ago · 35 ms" (latency left out when unknown). */
export function callDescription(e: Pick<HistoryEntry, 'time' | 'latencyMs' | 'status'>, now: number): string {
  const parts = [relativeTime(e.time, now)];
  if (e.latencyMs !== undefined) parts.push(formatLatency(e.latencyMs));
  if (e.status === 'error') parts.push('failed');
  return parts.join(' · ');
}

/** Markdown special characters escaped, so names and messages show as written. */
export function escapeMarkdown(s: string): string {
  return s.replace(/[\\`*_{}[\]()#+\-!|<>~]/g, (c) => `\\${c}`);
}

/** The tooltip: target name, file, time, status, HTTP status, sizes, error (markdown). */
export function callTooltip(e: HistoryEntry): string {
  const lines: string[] = [`**${escapeMarkdown(callLabel(e))}**`, ''];
  const row = (k: string, v: string) => lines.push(`${k}: ${v}  `);
  row('Target', `\`${e.target.name.replace(/`/g, "'")}\``);
  if (e.file) row('File', `\`${e.file.replace(/`/g, "'")}\``);
  const t = Date.parse(e.time);
  row('Time', Number.isFinite(t) ? new Date(t).toLocaleString() : escapeMarkdown(e.time));
  row('Status', e.status === 'ok' ? 'succeeded' : 'failed');
  if (e.httpStatus !== undefined) row('HTTP status', String(e.httpStatus));
  if (e.latencyMs !== undefined) row('Latency', formatLatency(e.latencyMs));
  row('Request', formatBytes(e.requestBytes));
  if (e.responseBytes !== undefined) row('Response', formatBytes(e.responseBytes));
  if (e.deployedModelId) row('Deployed model', escapeMarkdown(e.deployedModelId));
  if (e.bodiesDropped) row('Bodies', 'not kept (larger than `servelens.history.maxMegabytes`)');
  if (e.error) {
    lines.push('');
    lines.push(`**Error:** ${escapeMarkdown(e.error)}`);
  }
  return lines.join('\n').replace(/ {2}$/, '');
}
