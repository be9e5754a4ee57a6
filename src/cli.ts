import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ServeLensError, UsageError, describeError } from './core/errors';
import { ExitCode, processIo, type CliIo } from './cli/io';
import { commandTable, type CliCommand } from './cli/commands';

declare const SERVELENS_VERSION: string | undefined;

function version(): string {
  if (typeof SERVELENS_VERSION === 'string') return SERVELENS_VERSION;
  // Unbundled (tests run from out/): the nearest package.json above this file.
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const pkg = require(rel) as { name?: string; version?: string };
      if (pkg.name === 'servelens' && pkg.version) return pkg.version;
    } catch {
      // try the next one
    }
  }
  return 'unknown';
}

function usage(table: readonly CliCommand[]): string {
  const width = Math.max(...table.map((c) => c.synopsis.length));
  const rows = table.map((c) => `  ${c.synopsis.padEnd(width)}  ${c.summary}${c.available ? '' : ` (${c.unavailable})`}`);
  return [
    'servelens — check TensorFlow serving requests against the model, run models locally, talk to Vertex AI,',
    'AI Platform and TF Serving.',
    '',
    'Usage: servelens <command> [options]',
    '',
    'Commands:',
    ...rows,
    '',
    'Options for every command:',
    '  --json       exact JSON output',
    '  -h, --help   this help, or a command\'s help',
    '  --version    print the version',
    '',
    'Exit codes: 0 success, 1 the input has errors, 2 usage error.',
  ].join('\n');
}

/** Runs the CLI with `argv` (without node and the script). Returns the exit code. */
export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  const table = commandTable();
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    io.out(usage(table));
    return name === undefined ? ExitCode.usage : ExitCode.ok;
  }
  if (name === '--version' || name === '-v') {
    io.out(version());
    return ExitCode.ok;
  }
  // Two-word commands: "endpoints list", "models list", ...
  const cmd =
    table.find((c) => c.name === `${name} ${rest[0] ?? ''}`.trim()) ?? table.find((c) => c.name === name);
  if (!cmd) {
    io.err(`servelens: unknown command '${name}'. Run 'servelens --help' for the list.`);
    return ExitCode.usage;
  }
  const args = cmd.name.includes(' ') ? rest.slice(1) : rest;
  if (args.includes('-h') || args.includes('--help')) {
    io.out(`Usage: servelens ${cmd.synopsis}\n\n${cmd.help ?? cmd.summary}`);
    return ExitCode.ok;
  }
  if (!cmd.available || !cmd.run) {
    io.err(`servelens: '${cmd.name}' is not available in ServeLens ${version()} yet (${cmd.unavailable}).`);
    return ExitCode.usage;
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    const config: ParseArgsConfig = {
      args,
      options: { json: { type: 'boolean' }, ...cmd.options },
      allowPositionals: true,
      strict: true,
    };
    parsed = parseArgs(config);
  } catch (err) {
    io.err(`servelens ${cmd.name}: ${describeError(err)}\nUsage: servelens ${cmd.synopsis}`);
    return ExitCode.usage;
  }
  try {
    return await cmd.run(parsed.values as Record<string, string | boolean | undefined>, parsed.positionals, io);
  } catch (err) {
    if (ServeLensError.is(err, 'usage')) {
      io.err(`servelens ${cmd.name}: ${describeError(err)}\nUsage: servelens ${cmd.synopsis}`);
      return ExitCode.usage;
    }
    io.err(`servelens ${cmd.name}: ${describeError(err)}`);
    if (!ServeLensError.is(err)) io.err(err instanceof Error && err.stack ? err.stack : String(err));
    return ExitCode.inputErrors;
  }
}

export { UsageError };

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`servelens: ${describeError(err)}\n`);
      process.exitCode = ExitCode.inputErrors;
    },
  );
}
