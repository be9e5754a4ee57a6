/**
 * Small DOM builders. Everything the inspector shows comes from a model file, so text always goes
 * through `textContent` and attributes through `setAttribute`: no HTML strings, ever.
 */
export type Child = Node | string | null | undefined | false;

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs?: Record<string, string | undefined>,
  ...children: Child[]
): HTMLElementTagNameMap[K];
export function el(tag: string, attrs?: Record<string, string | undefined>, ...children: Child[]): HTMLElement;
export function el(tag: string, attrs: Record<string, string | undefined> = {}, ...children: Child[]): HTMLElement {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v !== undefined) node.setAttribute(k, v);
  }
  append(node, ...children);
  return node;
}

export function append(parent: Node, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    parent.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
  }
}

/** A `vscode-data-grid` built row by row (no generated header), so its cells are plain text. */
export function grid(
  label: string,
  columns: { title: string; width: string; cls: string }[],
  rows: string[][],
  gridClass: string,
): HTMLElement {
  const template = columns.map((c) => c.width).join(' ');
  const g = el('vscode-data-grid', {
    'generate-header': 'none',
    'grid-template-columns': template,
    'aria-label': label,
    class: `grid ${gridClass}`,
  });
  const header = el('vscode-data-grid-row', { 'row-type': 'header' });
  columns.forEach((c, i) =>
    header.appendChild(el('vscode-data-grid-cell', { 'cell-type': 'columnheader', 'grid-column': String(i + 1) }, c.title)),
  );
  g.appendChild(header);
  for (const r of rows) {
    const row = el('vscode-data-grid-row', { 'row-type': 'default' });
    r.forEach((text, i) =>
      row.appendChild(el('vscode-data-grid-cell', { 'grid-column': String(i + 1), class: columns[i]?.cls }, text)),
    );
    g.appendChild(row);
  }
  return g;
}

/** Human size: 1023 B, 1.5 KB, 2.0 GB. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(1)} ${units[u]}`;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
