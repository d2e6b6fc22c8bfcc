import { join } from 'node:path';
import { writeFileAtomic } from '../base/files.ts';
import { type RunReportInput, renderRunReport } from './html.ts';
import { renderJunit } from './junit.ts';

/**
 * Writes report.html and junit.xml into a run folder (which must exist).
 * Returns the paths of the two files written.
 */
export const writeRunReport = async (dir: string, input: RunReportInput): Promise<{ html: string; junit: string }> => {
  const html = join(dir, 'report.html');
  const junit = join(dir, 'junit.xml');
  await writeFileAtomic(html, renderRunReport(input));
  await writeFileAtomic(junit, renderJunit(input.results));
  return { html, junit };
};
