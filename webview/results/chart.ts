/**
 * A horizontal bar chart of feature attributions, drawn as SVG by hand: one row per feature
 * (largest |value| first, as present.ts ordered them), a zero axis, positive bars to the right
 * and negative ones to the left. Colours come from the theme through classes (styles.ts); only
 * geometry is set here, as SVG attributes (the CSP allows no style attributes).
 */
import type { AttributionChart } from '../../src/core/predict/present';

const NS = 'http://www.w3.org/2000/svg';
const WIDTH = 640;
const LABEL_WIDTH = 200;
const VALUE_WIDTH = 80;
const ROW = 20;
const BAR = 14;
const PAD = 6;
const MAX_LABEL_CHARS = 30;

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** The value beside a bar: as written when short, else to 4 significant digits (the tooltip has it whole). */
function shortValue(text: string, value: number): string {
  return text.length <= 8 ? text : String(Number(value.toPrecision(4)));
}

/** A long label keeps its end (the indices), which tells features apart. */
function shortLabel(label: string): string {
  return label.length <= MAX_LABEL_CHARS ? label : `…${label.slice(label.length - MAX_LABEL_CHARS + 1)}`;
}

export function attributionSvg(chart: AttributionChart, title: string): SVGSVGElement {
  const bars = chart.bars;
  const height = Math.max(1, bars.length) * ROW + PAD * 2;
  const root = svg('svg', {
    class: 'attributions',
    width: WIDTH,
    height,
    viewBox: `0 0 ${WIDTH} ${height}`,
    role: 'img',
    'aria-label': title,
  });
  const hasPos = bars.some((b) => b.value > 0);
  const hasNeg = bars.some((b) => b.value < 0);
  // Room for the value texts on the side(s) bars grow towards.
  const left = LABEL_WIDTH + PAD + (hasNeg ? VALUE_WIDTH : 0);
  const span = WIDTH - left - PAD - (hasPos || !hasNeg ? VALUE_WIDTH : 0);
  // Where zero sits: the middle when both signs occur, else the side the bars grow from.
  const zero = hasPos && hasNeg ? left + span / 2 : hasNeg ? left + span : left;
  const reach = hasPos && hasNeg ? span / 2 : span;
  const scale = chart.maxAbs > 0 ? reach / chart.maxAbs : 0;
  bars.forEach((b, i) => {
    const y = PAD + i * ROW;
    const w = Math.max(b.value === 0 ? 0 : 1, Math.abs(b.value) * scale);
    const x = b.value < 0 ? zero - w : zero;
    const g = svg('g', { class: 'bar' });
    g.appendChild(svg('title', {}, `${b.label}: ${b.text}`));
    g.appendChild(svg('text', { class: 'bar-label', x: LABEL_WIDTH, y: y + ROW / 2, 'text-anchor': 'end', 'dominant-baseline': 'middle' }, shortLabel(b.label)));
    g.appendChild(svg('rect', { class: b.value < 0 ? 'bar-neg' : 'bar-pos', x, y: y + (ROW - BAR) / 2, width: w, height: BAR, rx: 2 }));
    const textX = b.value < 0 ? x - 4 : x + w + 4;
    g.appendChild(
      svg('text', { class: 'bar-value', x: textX, y: y + ROW / 2, 'text-anchor': b.value < 0 ? 'end' : 'start', 'dominant-baseline': 'middle' }, shortValue(b.text, b.value)),
    );
    root.appendChild(g);
  });
  root.appendChild(svg('line', { class: 'axis', x1: zero, x2: zero, y1: PAD / 2, y2: height - PAD / 2 }));
  return root;
}
