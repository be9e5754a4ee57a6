import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** The repository root: the nearest folder above this file that holds package.json. */
export function repoRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${__dirname}`);
    dir = up;
  }
  return dir;
}

/**
 * The shared fixtures folder. Tests read real SavedModels from here and never copy them into the
 * repository. Override with SERVELENS_FIXTURES; the default is ../shared/fixtures beside the checkout.
 */
export const FIXTURES = process.env.SERVELENS_FIXTURES
  ? resolve(process.env.SERVELENS_FIXTURES)
  : resolve(repoRoot(), '..', 'shared', 'fixtures');

export const SAVEDMODELS = join(FIXTURES, 'savedmodels');

export function savedModel(...parts: string[]): string {
  return join(SAVEDMODELS, ...parts);
}
