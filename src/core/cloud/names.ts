/**
 * Resource names and URL paths. Every id that goes into a URL is checked here, so a name from a
 * settings file, a request binding or a server answer cannot reach another path or host.
 */
import { UsageError } from '../errors';

/** A project id ("my-project"), number ("123456789") or domain-scoped id ("example.com:my-project"). */
const PROJECT_RE = /^(?:[a-z0-9][a-z0-9.-]*[a-z0-9]:)?[a-z0-9][a-z0-9-]{0,61}[a-z0-9]$/;
/** One path segment of a resource id: model ids may carry "@version" / "@alias". */
const SEGMENT_RE = /^[A-Za-z0-9_][A-Za-z0-9_.@~-]{0,254}$/;

export function checkProject(project: string): string {
  if (!PROJECT_RE.test(project)) throw new UsageError(`'${project}' is not a Google Cloud project id or number.`);
  return project;
}

export function checkSegment(value: string, what: string): string {
  if (!SEGMENT_RE.test(value) || value === '.' || value === '..') throw new UsageError(`'${value}' is not a valid ${what}.`);
  return value;
}

/**
 * Checks a full resource name ("projects/p/locations/l/endpoints/e") against the collections it may
 * name, and returns its parts. `collections` lists the expected collection path after the scope,
 * e.g. ['endpoints'] or ['models'].
 */
export function parseResourceName(
  name: string,
  scope: 'location' | 'project',
  collections: readonly string[],
  what: string,
): { project: string; location?: string; ids: string[] } {
  const parts = name.split('/');
  const head = scope === 'location' ? 4 : 2;
  const bad = () => new UsageError(`'${name}' is not a ${what} name (projects/P${scope === 'location' ? '/locations/L' : ''}/${collections.join('/ID/')}/ID).`);
  if (parts.length !== head + collections.length * 2 || parts[0] !== 'projects') throw bad();
  if (scope === 'location' && parts[2] !== 'locations') throw bad();
  const project = parts[1]!;
  if (!PROJECT_RE.test(project)) throw bad();
  const ids: string[] = [];
  for (let i = 0; i < collections.length; i++) {
    if (parts[head + i * 2] !== collections[i]) throw bad();
    const id = parts[head + i * 2 + 1]!;
    if (!SEGMENT_RE.test(id)) throw bad();
    ids.push(id);
  }
  if (scope === 'location') {
    const location = parts[3]!;
    if (!/^[a-z][a-z0-9-]{1,62}$/.test(location)) throw bad();
    return { project, location, ids };
  }
  return { project, ids };
}

/** The last segment of a resource name: the id. */
export function idOf(name: string): string {
  return name.slice(name.lastIndexOf('/') + 1);
}
