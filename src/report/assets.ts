import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/**
 * The report's CSS and JS live as real files in `assets/` (easy to edit and
 * lint) and are inlined into each report at render time, as porcupine embeds
 * its visualization assets, so a report is one file that works offline.
 * uPlot (a small MIT charting library, an npm dependency) is inlined the
 * same way.
 */
const cache = new Map<string, string>();
const require = createRequire(import.meta.url);

export type AssetName =
  | 'report.css'
  | 'report.js'
  | 'timeview.js'
  | 'staleness.js'
  | 'uPlot.js'
  | 'uPlot.css'
  | 'jobs.css'
  | 'index.js';

const locate = (name: AssetName): string | URL => {
  if (name === 'uPlot.js') return require.resolve('uplot/dist/uPlot.iife.min.js');
  if (name === 'uPlot.css') return require.resolve('uplot/dist/uPlot.min.css');
  return new URL(`./assets/${name}`, import.meta.url);
};

export const readAsset = (name: AssetName): string => {
  let text = cache.get(name);
  if (text === undefined) {
    text = readFileSync(locate(name), 'utf8');
    cache.set(name, text);
  }
  return text;
};

/** Inline script text must not contain "</script" (it would end the element early). */
export const inlineScript = (js: string): string => js.replace(/<\/(script)/gi, '<\\/$1');

/** Inline style text must not contain "</style". */
export const inlineStyle = (css: string): string => css.replace(/<\/(style)/gi, '<\\/$1');
