/**
 * The model server's message out of a service's error text: Vertex AI wraps TF Serving's
 * `{"error": "..."}` (or a google.rpc.Status) inside its own message; AI Platform's prefix is kept.
 * Pure, no imports: the results webview uses it too.
 */
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function serverText(message: string): string {
  const t = message.trim();
  if (t.startsWith('{')) {
    try {
      const j = JSON.parse(t) as unknown;
      if (isObject(j) && typeof j.error === 'string') return j.error;
      if (isObject(j) && isObject(j.error) && typeof j.error.message === 'string') return j.error.message;
    } catch {
      // not JSON: keep the text
    }
  }
  return t;
}
