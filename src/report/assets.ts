import { readFileSync } from 'node:fs';

/**
 * The report's CSS and JS live as real files in `assets/` (easy to edit and
 * lint) and are inlined into each report at render time, as porcupine embeds
 * its visualization assets, so a report is one file that works offline.
 */
const cache = new Map<string, string>();

export type AssetName = 'report.css' | 'report.js' | 'jobs.css' | 'index.js';

export const readAsset = (name: AssetName): string => {
  let text = cache.get(name);
  if (text === undefined) {
    text = readFileSync(new URL(`./assets/${name}`, import.meta.url), 'utf8');
    cache.set(name, text);
  }
  return text;
};

/** Inline script text must not contain "</script" (it would end the element early). */
export const inlineScript = (js: string): string => js.replace(/<\/(script)/gi, '<\\/$1');

/** Inline style text must not contain "</style". */
export const inlineStyle = (css: string): string => css.replace(/<\/(style)/gi, '<\\/$1');
