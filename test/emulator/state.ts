/**
 * Loading the emulator state: read the seed (a path or an object), expand `${FIXTURES}` and
 * `${SAVEDMODELS}`, fill defaults, and add the synthetic resources a location asks for.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { EmulatorState, EndpointSeed, ModelSeed, ProjectState } from './types';

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

/** The shared fixtures folder: SERVELENS_FIXTURES, or ../shared/fixtures beside the checkout. */
export function defaultFixturesDir(): string {
  return process.env.SERVELENS_FIXTURES ? resolve(process.env.SERVELENS_FIXTURES) : resolve(repoRoot(), '..', 'shared', 'fixtures');
}

/** The seed shipped with the emulator. */
export function sampleStatePath(): string {
  return join(repoRoot(), 'test', 'emulator', 'state.sample.json');
}

function expand<T>(value: T, vars: Record<string, string>): T {
  if (typeof value === 'string') return value.replace(/\$\{(\w+)\}/g, (m, k: string) => vars[k] ?? m) as T;
  if (Array.isArray(value)) return value.map((v) => expand(v, vars)) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = expand(v, vars);
    return out as T;
  }
  return value;
}

/** A deep copy of `seed` (or of the JSON file at that path), expanded and completed. */
export function loadState(seed: EmulatorState | string | undefined, fixturesDir: string): EmulatorState {
  const raw: unknown = typeof seed === 'string' || seed === undefined
    ? JSON.parse(readFileSync(seed ?? sampleStatePath(), 'utf8'))
    : JSON.parse(JSON.stringify(seed));
  if (!raw || typeof raw !== 'object' || typeof (raw as EmulatorState).projects !== 'object') {
    throw new Error('emulator state: expected an object with "projects"');
  }
  const state = expand(raw as EmulatorState, { FIXTURES: fixturesDir, SAVEDMODELS: join(fixturesDir, 'savedmodels') });
  for (const [id, project] of Object.entries(state.projects)) completeProject(id, project);
  return state;
}

function completeProject(id: string, project: ProjectState): void {
  if (!/^\d+$/.test(project.number ?? '')) throw new Error(`emulator state: project ${id} needs a numeric "number"`);
  for (const location of Object.values(project.locations ?? {})) {
    location.endpoints ??= [];
    location.models ??= [];
    location.batchPredictionJobs ??= [];
    const now = Date.now();
    for (const j of location.batchPredictionJobs) j.lastStepAt ??= now;
    for (const m of location.models) {
      if (!m.versions?.length) throw new Error(`emulator state: model ${m.id} needs at least one version`);
      if (!m.versions.some((v) => v.aliases?.includes('default'))) {
        m.versions[0]!.aliases = ['default', ...(m.versions[0]!.aliases ?? [])];
      }
    }
    const n = location.generate?.endpoints ?? 0;
    for (let i = 1; i <= n; i++) location.endpoints.push(generatedEndpoint(i));
    const k = location.generate?.models ?? 0;
    for (let i = 1; i <= k; i++) location.models.push(generatedModel(i));
    delete location.generate;
  }
}

const GENERATED_TIME = '2024-01-15T09:30:00.000000Z';

function generatedEndpoint(i: number): EndpointSeed {
  const n = String(i).padStart(4, '0');
  return {
    id: `90000000000000${n}`,
    displayName: `generated-endpoint-${n}`,
    createTime: GENERATED_TIME,
    updateTime: GENERATED_TIME,
    etag: `AMEw9yN${n}`,
    labels: { generated: 'true' },
  };
}

function generatedModel(i: number): ModelSeed {
  const n = String(i).padStart(4, '0');
  return {
    id: `80000000000000${n}`,
    displayName: `generated-model-${n}`,
    createTime: GENERATED_TIME,
    updateTime: GENERATED_TIME,
    labels: { generated: 'true' },
    versions: [{ versionId: '1', aliases: ['default'], versionCreateTime: GENERATED_TIME, versionUpdateTime: GENERATED_TIME }],
  };
}

/** The project a path names, by id or by number: [id, state]. */
export function findProject(state: EmulatorState, idOrNumber: string): [string, ProjectState] | undefined {
  const direct = state.projects[idOrNumber];
  if (direct) return [idOrNumber, direct];
  for (const [id, p] of Object.entries(state.projects)) if (p.number === idOrNumber) return [id, p];
  return undefined;
}
