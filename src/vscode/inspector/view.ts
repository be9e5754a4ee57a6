/** Turns core results into the inspector's protocol payloads (plain data, nothing the webview cannot take). */
import { ModelFormatError, ServeLensError } from '../../core/errors';
import type { ModelInspection } from '../../core/model/inspect';
import type { InspectorError, InspectorModel } from '../../../webview/shared/protocol';
import type { SiblingVersions } from '../models/layout';

export function toInspectorModel(insp: ModelInspection, versions: SiblingVersions, opsPending = false): InspectorModel {
  const s = insp.summary;
  return {
    summary: {
      ...s,
      // Op usage can be long and the inspector does not show it; lint already reports what matters.
      metaGraphs: s.metaGraphs.map(({ ops: _ops, ...mg }) => mg),
    },
    lint: insp.lint,
    variables: insp.variables,
    variablesError: insp.variablesError,
    assets: insp.assets,
    fileBytes: insp.fileBytes,
    version: s.version ?? versions.version,
    versions: s.versions && s.versions.length ? s.versions : versions.versions,
    ...(opsPending ? { opsPending } : {}),
  };
}

export function toInspectorError(err: unknown): InspectorError {
  if (err instanceof ModelFormatError) {
    return {
      kind: err.kind,
      message: err.message,
      hint: err.hint,
      file: err.file,
      offset: err.offset,
      line: err.line,
      column: err.column,
      expected: err.expected,
    };
  }
  if (ServeLensError.is(err)) return { kind: err.kind, message: err.message, hint: err.hint };
  return { kind: 'unknown', message: err instanceof Error ? err.message : String(err) };
}
