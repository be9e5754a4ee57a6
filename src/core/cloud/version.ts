/** The `servelens/<version>` User-Agent the cloud clients send. */
declare const SERVELENS_VERSION: string | undefined;

let cached: string | undefined;

/** The extension's version: set by the bundler, else read from the nearest package.json (tests run from out/). */
export function servelensVersion(): string {
  if (cached) return cached;
  if (typeof SERVELENS_VERSION === 'string') return (cached = SERVELENS_VERSION);
  for (const rel of ['../../../package.json', '../../../../package.json']) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const pkg = require(rel) as { name?: string; version?: string };
      if (pkg.name === 'servelens' && pkg.version) return (cached = pkg.version);
    } catch {
      // try the next one
    }
  }
  return (cached = 'unknown');
}

export function userAgent(): string {
  return `servelens/${servelensVersion()}`;
}
