/**
 * Glob patterns of the binding file, matched against paths relative to the workspace root with
 * "/" separators (patterns always use "/"): `**` (any number of folders, as a whole segment), `*`
 * and `?` (within one segment), `{a,b}` (alternatives, nestable), `[abc]` / `[!abc]` (one
 * character), and backslash escapes. Like VS Code's globs, `*` also matches names that start with
 * a dot. (Node 20's `path.matchesGlob` is still experimental and warns at run time, so it is not used.)
 */

const cache = new Map<string, RegExp>();

function escapeRe(c: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(c) ? `\\${c}` : c;
}

/** Translates glob[i..] until one of `stops` (at brace depth 0 of this call); returns [regex, next index]. */
function translate(glob: string, i: number, stops: string): [string, number] {
  let re = '';
  while (i < glob.length) {
    const c = glob[i]!;
    if (stops.includes(c)) break;
    if (c === '\\' && i + 1 < glob.length) {
      re += escapeRe(glob[i + 1]!);
      i += 2;
      continue;
    }
    if (c === '*') {
      if (glob[i + 1] === '*') {
        const atStart = i === 0 || glob[i - 1] === '/';
        let j = i + 2;
        while (glob[j] === '*') j++;
        const atEnd = j === glob.length || glob[j] === '/' || stops.includes(glob[j]!);
        if (atStart && atEnd) {
          if (glob[j] === '/') {
            re += '(?:[^/]*/)*'; // "**/": zero or more folders
            i = j + 1;
          } else {
            re += '.*'; // trailing "**": everything below
            i = j;
          }
          continue;
        }
        re += '[^/]*';
        i = j;
        continue;
      }
      re += '[^/]*';
      i++;
      continue;
    }
    if (c === '?') {
      re += '[^/]';
      i++;
      continue;
    }
    if (c === '[') {
      const close = glob.indexOf(']', i + 2);
      if (close > 0) {
        let body = glob.slice(i + 1, close);
        const negate = body[0] === '!' || body[0] === '^';
        if (negate) body = body.slice(1);
        body = body.replace(/[\\\]^]/g, (m) => `\\${m}`);
        re += negate ? `[^/${body}]` : `[${body}]`;
        i = close + 1;
        continue;
      }
      re += '\\[';
      i++;
      continue;
    }
    if (c === '{') {
      const alts: string[] = [];
      let j = i + 1;
      for (;;) {
        const [part, next] = translate(glob, j, ',}');
        alts.push(part);
        if (next >= glob.length) {
          // No closing brace: a literal "{".
          return [re + '\\{' + translate(glob, i + 1, stops)[0], glob.length];
        }
        j = next + 1;
        if (glob[next] === '}') break;
      }
      re += `(?:${alts.join('|')})`;
      i = j;
      continue;
    }
    re += escapeRe(c);
    i++;
  }
  return [re, i];
}

export function globToRegExp(glob: string): RegExp {
  let re = cache.get(glob);
  if (!re) {
    const g = glob.startsWith('./') ? glob.slice(2) : glob;
    re = new RegExp(`^${translate(g, 0, '')[0]}$`);
    if (cache.size > 500) cache.clear();
    cache.set(glob, re);
  }
  return re;
}

/** Whether the root-relative path (either separator) matches the glob. */
export function matchGlob(glob: string, relativePath: string): boolean {
  const p = relativePath.replace(/\\/g, '/').replace(/^\.\//, '');
  return globToRegExp(glob).test(p);
}
