/**
 * Typed errors for ServeLens core. Every error carries a discriminant `kind` so callers
 * branch with `ServeLensError.is(err, 'model-format')` rather than on message text.
 * Messages say what happened, where, and what to do next.
 */
export type ErrorKind =
  | 'model-format' // a model file is truncated, corrupt or not what it claims to be
  | 'model-not-found' // a path does not hold a model ServeLens can read
  | 'usage' // a caller (CLI, command) passed arguments that do not fit
  | 'io' // a file system operation failed
  | 'cloud' // a Google Cloud / TF Serving call or sign-in failed (src/core/cloud/errors.ts: `reason` says how)
  | 'runner'; // the local runner refused or failed a run (src/core/runner/errors.ts: `reason` says how)

export abstract class ServeLensError extends Error {
  abstract readonly kind: ErrorKind;
  /** What the user can do about it; shown after the message. */
  readonly hint?: string;

  constructor(message: string, hint?: string) {
    super(message);
    this.name = new.target.name;
    this.hint = hint;
  }

  static is<K extends ErrorKind>(err: unknown, kind?: K): err is ServeLensError & { kind: K } {
    return err instanceof ServeLensError && (kind === undefined || err.kind === kind);
  }
}

export interface ModelFormatLocation {
  /** The file that could not be read. */
  file: string;
  /** Byte offset into the file where the problem was found (binary formats). */
  offset?: number;
  /** 1-based line and column (text formats). */
  line?: number;
  column?: number;
}

/** A model file could not be parsed: names the file, the position and what was expected. */
export class ModelFormatError extends ServeLensError {
  readonly kind = 'model-format' as const;
  readonly file: string;
  readonly offset?: number;
  readonly line?: number;
  readonly column?: number;
  /** What the parser expected at that position, e.g. "a varint", "field 1 (MetaGraphDef)". */
  readonly expected: string;

  constructor(loc: ModelFormatLocation, expected: string, detail?: string, hint?: string) {
    const where =
      loc.line !== undefined
        ? `${loc.file}:${loc.line}:${loc.column ?? 1}`
        : loc.offset !== undefined
          ? `${loc.file} at byte ${loc.offset}`
          : loc.file;
    super(
      `Cannot read ${where}: expected ${expected}${detail ? ` (${detail})` : ''}.`,
      hint ?? 'The file may be truncated or corrupt; re-export the model or copy it again.',
    );
    this.file = loc.file;
    this.offset = loc.offset;
    this.line = loc.line;
    this.column = loc.column;
    this.expected = expected;
  }
}

export class ModelNotFoundError extends ServeLensError {
  readonly kind = 'model-not-found' as const;
  readonly path: string;
  constructor(path: string, detail: string, hint?: string) {
    super(
      `No model at ${path}: ${detail}.`,
      hint ??
        'Point at a SavedModel directory, a TF Serving base directory with numeric versions, a saved_model.pb/.pbtxt file, or a tfjs model.json.',
    );
    this.path = path;
  }
}

export class UsageError extends ServeLensError {
  readonly kind = 'usage' as const;
}

export class IoError extends ServeLensError {
  readonly kind = 'io' as const;
  readonly path: string;
  constructor(path: string, cause: unknown) {
    const code = (cause as NodeJS.ErrnoException | undefined)?.code;
    super(
      `Cannot read ${path}${code ? ` (${code})` : ''}: ${cause instanceof Error ? cause.message : String(cause)}.`,
      code === 'EACCES' ? 'Check the file permissions.' : 'Check that the path exists and is readable.',
    );
    this.path = path;
  }
}

/** One line for logs and messages: the message followed by the hint, if any. */
export function describeError(err: unknown): string {
  if (err instanceof ServeLensError) return err.hint ? `${err.message} ${err.hint}` : err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}
