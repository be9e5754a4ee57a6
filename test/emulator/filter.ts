/**
 * The subset of Google's list filter syntax (AIP-160) the Vertex AI list calls document for the
 * fields ServeLens uses: `field = value`, `field != value`, `labels.key = value`, `labels.key:*`,
 * `labels:key`, terms joined by AND (or a space). Field names are accepted in snake_case and camelCase.
 * Anything else is a 400 INVALID_ARGUMENT, as the service answers an unsupported filter.
 */

export type FieldGetter<T> = (item: T) => string | undefined;

interface Term {
  field: string;
  op: '=' | '!=' | ':';
  value: string;
}

const TERM = /^\s*([A-Za-z_][\w.]*|labels\."[^"]*")\s*(!=|=|:)\s*("(?:[^"\\]|\\.)*"|[^\s"]+)\s*/;

function camel(s: string): string {
  return s.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
}

function parse(expr: string): Term[] | string {
  const terms: Term[] = [];
  let rest = expr.trim();
  while (rest.length) {
    const m = TERM.exec(rest);
    if (!m) return `Unable to parse filter "${expr}"`;
    let value = m[3]!;
    if (value.startsWith('"')) value = value.slice(1, -1).replace(/\\(.)/g, '$1');
    terms.push({ field: m[1]!, op: m[2] as Term['op'], value });
    rest = rest.slice(m[0].length);
    const and = /^AND\s+/i.exec(rest);
    if (and) rest = rest.slice(and[0].length);
    else if (/^OR\b/i.test(rest)) return `Unsupported filter "${expr}": OR is not supported here`;
  }
  return terms;
}

/**
 * A predicate for `expr` over items with the given fields (camelCase names), or an error message.
 * `labels` is handled for every item that has a `labels` map.
 */
export function compileFilter<T extends { labels?: Record<string, string> }>(
  expr: string | null,
  fields: Record<string, FieldGetter<T>>,
): ((item: T) => boolean) | string {
  if (!expr || !expr.trim()) return () => true;
  const terms = parse(expr);
  if (typeof terms === 'string') return terms;
  const preds: ((item: T) => boolean)[] = [];
  for (const t of terms) {
    if (t.field === 'labels' && t.op === ':') {
      preds.push((i) => i.labels !== undefined && t.value in i.labels);
      continue;
    }
    if (t.field.startsWith('labels.')) {
      let key = t.field.slice(7);
      if (key.startsWith('"')) key = key.slice(1, -1);
      if (t.op === ':') {
        if (t.value !== '*') return `Unsupported filter "${expr}": use labels.${key}:*`;
        preds.push((i) => i.labels !== undefined && key in i.labels);
      } else {
        const eq = t.op === '=';
        preds.push((i) => (i.labels?.[key] === t.value) === eq);
      }
      continue;
    }
    const get = fields[camel(t.field)];
    if (!get || t.op === ':') return `Unsupported filter field or operator in "${expr}": ${t.field} ${t.op}`;
    const eq = t.op === '=';
    preds.push((i) => (get(i) === t.value) === eq);
  }
  return (item) => preds.every((p) => p(item));
}
