import { escapeHtml } from './escape.ts';

/**
 * Small SVG building blocks for the job pages' charts (compare's dot plot,
 * the runs index's sparklines): a frame with margins, round tick values,
 * coordinates rounded to 0.1 px to keep files small. The run report draws
 * on canvases (timeview.ts); these pages stay plain SVG, readable without
 * script.
 */
export interface Frame {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

export const px = (x: number): string => (Math.round(x * 10) / 10).toString();

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

export const svgOpen = (f: Frame, cls: string, label: string): string =>
  `<svg class="plot ${cls}" viewBox="0 0 ${f.width} ${f.height}" width="${f.width}" height="${f.height}" role="img" aria-label="${escapeHtml(label)}" xmlns="http://www.w3.org/2000/svg">`;
