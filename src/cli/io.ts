/** Output and exit-code conventions of the `servelens` command line (see DESIGN.md). */
export const ExitCode = {
  ok: 0,
  /** The input has errors: invalid request, lint errors, a failed call. */
  inputErrors: 1,
  /** The command line itself is wrong. */
  usage: 2,
} as const;

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** Whether stdout is a terminal (colour and widths are only used there). */
  isTty: boolean;
}

export const processIo: CliIo = {
  out: (t) => process.stdout.write(t.endsWith('\n') ? t : `${t}\n`),
  err: (t) => process.stderr.write(t.endsWith('\n') ? t : `${t}\n`),
  isTty: Boolean(process.stdout.isTTY),
};

/** Exact JSON for `--json`: two-space indented, with a trailing newline. */
export function toJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
