/**
 * The layering rule of src/, checked in `npm run lint` (ARCHITECTURE.md
 * explains it). Every folder of src/ has a rank; a file may import from its
 * own folder and from folders of a lower rank, never from a folder of the
 * same or a higher rank. A back-edge fails with the file, the line and the
 * rule it breaks.
 *
 *   npx tsx scripts/check-layers.ts [src-dir]
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/** Folder of src/ → rank. Lower ranks are foundations; higher ranks orchestrate. */
export const LAYERS: Readonly<Record<string, number>> = {
  base: 0,
  history: 1,
  net: 1,
  replica: 1,
  checker: 2,
  systems: 2,
  cluster: 3,
  generator: 3,
  nemesis: 4,
  workload: 4,
  report: 4,
  run: 5,
  jobs: 6,
  cli: 7,
  // src/index.ts: the library's entry point re-exports from every layer.
  '.': 8,
};

export interface Violation {
  file: string;
  line: number;
  message: string;
}

const IMPORT =
  /(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;

const folderOf = (srcDir: string, file: string): string => {
  const rel = path.relative(srcDir, file);
  const [first, ...rest] = rel.split(path.sep);
  return rest.length === 0 ? '.' : first!;
};

const walk = (dir: string): string[] =>
  readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : /\.(ts|mts)$/.test(f) ? [p] : [];
  });

/** Every import of src/ that breaks the layering. Pure over the files' text. */
export const checkLayers = (srcDir: string): Violation[] => {
  const violations: Violation[] = [];
  for (const file of walk(srcDir)) {
    const from = folderOf(srcDir, file);
    const fromRank = LAYERS[from];
    const text = readFileSync(file, 'utf8');
    const rel = path.relative(process.cwd(), file);
    if (fromRank === undefined) {
      violations.push({
        file: rel,
        line: 1,
        message: `folder src/${from} has no layer; add it to LAYERS in scripts/check-layers.ts and to ARCHITECTURE.md`,
      });
      continue;
    }
    for (const m of text.matchAll(IMPORT)) {
      const spec = m[1] ?? m[2]!;
      const target = path.resolve(path.dirname(file), spec);
      if (!target.startsWith(srcDir + path.sep)) continue;
      const to = folderOf(srcDir, target);
      if (to === from) continue;
      const toRank = LAYERS[to];
      const line = text.slice(0, m.index! + m[0].indexOf(spec)).split('\n').length;
      if (toRank === undefined || toRank >= fromRank) {
        violations.push({
          file: rel,
          line,
          message: `src/${from} (layer ${fromRank}) imports src/${to} (layer ${toRank ?? '?'}): imports must point to a lower layer`,
        });
      }
    }
  }
  return violations;
};

if (import.meta.url === `file://${process.argv[1]}`) {
  const srcDir = path.resolve(process.argv[2] ?? 'src');
  const violations = checkLayers(srcDir);
  for (const v of violations) console.error(`${v.file}:${v.line}: ${v.message}`);
  if (violations.length > 0) {
    console.error(`${violations.length} import(s) break the layering (see ARCHITECTURE.md)`);
    process.exit(1);
  }
  console.log('layers: every import points down');
}
