import { NS_PER_MS } from '../base/time.ts';
import type { FaultWindow } from '../history/faults.ts';
import { describeFault } from '../history/faults.ts';
import { escapeHtml } from './escape.ts';

/**
 * Small SVG building blocks shared by the plots: a frame with margins,
 * linear and log scales, axes, and fault-window shading. Coordinates are
 * rounded to 0.1 px to keep files small.
 */

export interface Frame {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

export const plotFrame = (height = 260): Frame => ({ width: 960, height, left: 64, right: 16, top: 26, bottom: 34 });

export const innerWidth = (f: Frame): number => f.width - f.left - f.right;
export const innerHeight = (f: Frame): number => f.height - f.top - f.bottom;

export const px = (x: number): string => (Math.round(x * 10) / 10).toString();

/** Maps ns since run start to an x pixel. */
export const timeScale = (f: Frame, endNs: number): ((ns: number) => number) => {
  const span = Math.max(endNs, NS_PER_MS);
  return (ns) => f.left + (Math.min(Math.max(ns, 0), span) / span) * innerWidth(f);
};

/** About `count` round tick values covering [0, max]: steps of 1, 2 or 5 × 10^k. */
export const niceTicks = (max: number, count = 8): number[] => {
  if (!(max > 0)) return [0];
  const raw = max / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let v = 0; v <= max + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
};

/** The time axis along the bottom, labelled in seconds. */
export const timeAxis = (f: Frame, endNs: number): string => {
  const x = timeScale(f, endNs);
  const y = f.height - f.bottom;
  const parts = [`<line class="axis" x1="${f.left}" y1="${y}" x2="${f.width - f.right}" y2="${y}"/>`];
  for (const s of niceTicks(Math.max(endNs, NS_PER_MS) / 1e9)) {
    const xi = px(x(s * 1e9));
    parts.push(`<line class="tick" x1="${xi}" y1="${y}" x2="${xi}" y2="${y + 4}"/>`);
    parts.push(`<text class="tl" x="${xi}" y="${y + 16}" text-anchor="middle">${s}</text>`);
  }
  parts.push(
    `<text class="al" x="${f.width - f.right}" y="${f.height - 2}" text-anchor="end">time since start (s)</text>`,
  );
  return parts.join('');
};

const KNOWN_KINDS = new Set(['kill', 'partition', 'pause', 'clock', 'shape']);

/** CSS class of a fault kind; unknown kinds share one colour. */
export const faultClass = (kind: string): string => `fault fault-${KNOWN_KINDS.has(kind) ? kind : 'other'}`;

/**
 * Fault windows as shaded bands over the plot area, each labelled at the top
 * (labels alternate between two lines so neighbours overlap less). A window
 * never healed runs to the end of the plot.
 */
export const faultShading = (f: Frame, endNs: number, windows: readonly FaultWindow[]): string => {
  const x = timeScale(f, endNs);
  return windows
    .map((w, i) => {
      const x0 = x(w.start);
      const x1 = Math.max(x(Math.min(w.end, endNs)), x0 + 1);
      const label = describeFault(w);
      const until = Number.isFinite(w.end) ? `${(w.end / 1e9).toFixed(3)} s` : 'never healed';
      const tip = `${label}\n${(w.start / 1e9).toFixed(3)} s → ${until}`;
      const ly = f.top - 4 - (i % 2) * 11;
      return (
        `<g class="${faultClass(w.f)}" data-fault="${escapeHtml(w.f)}">` +
        `<rect x="${px(x0)}" y="${f.top}" width="${px(x1 - x0)}" height="${innerHeight(f)}"><title>${escapeHtml(tip)}</title></rect>` +
        `<text x="${px(x0 + 2)}" y="${ly}">${escapeHtml(label)}</text></g>`
      );
    })
    .join('');
};

export const svgOpen = (f: Frame, cls: string, label: string): string =>
  `<svg class="plot ${cls}" viewBox="0 0 ${f.width} ${f.height}" width="${f.width}" height="${f.height}" role="img" aria-label="${escapeHtml(label)}" xmlns="http://www.w3.org/2000/svg">`;
