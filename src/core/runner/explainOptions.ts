/**
 * Explain options from a Vertex-style body's `parameters`, the way the local server, the editor and
 * the emulator read them: `integratedGradientsAttribution: {stepCount}` picks integrated gradients,
 * anything else sampled Shapley (`sampledShapleyAttribution: {pathCount}`). Counts that are not
 * positive numbers are left to the defaults. A body that is not JSON gives no options (the runner
 * then reports the body itself).
 */
import type { ExplainMethod, ExplainOptions } from './explain';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function vertexExplainOptions(body: string | object): Pick<ExplainOptions, 'method' | 'pathCount' | 'stepCount'> {
  let parsed: unknown = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      return {};
    }
  }
  const p = isObject(parsed) && isObject(parsed.parameters) ? parsed.parameters : {};
  const ig = isObject(p.integratedGradientsAttribution) ? p.integratedGradientsAttribution : undefined;
  const ss = isObject(p.sampledShapleyAttribution) ? p.sampledShapleyAttribution : undefined;
  const method: ExplainMethod = ig ? 'integrated-gradients' : 'sampled-shapley';
  const out: Pick<ExplainOptions, 'method' | 'pathCount' | 'stepCount'> = { method };
  if (typeof ss?.pathCount === 'number' && ss.pathCount > 0) out.pathCount = ss.pathCount;
  if (typeof ig?.stepCount === 'number' && ig.stepCount > 0) out.stepCount = ig.stepCount;
  return out;
}
