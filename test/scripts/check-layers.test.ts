import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkLayers } from '../../scripts/check-layers.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A throwaway src/ tree: { 'base/a.ts': 'text' }. */
const tree = (files: Record<string, string>): string => {
  const root = mkdtempSync(path.join(tmpdir(), 'layers-'));
  dirs.push(root);
  const src = path.join(root, 'src');
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(src, rel)), { recursive: true });
    writeFileSync(path.join(src, rel), text);
  }
  return src;
};

describe('check-layers', () => {
  it("faultline's own src/ has no back-edges", () => {
    expect(checkLayers(path.resolve('src'))).toEqual([]);
  });

  it('flags an import of a higher layer with its file and line', () => {
    const src = tree({
      'run/run.ts': 'export const x = 1;\n',
      'history/op.ts': "// a comment\nimport { x } from '../run/run.ts';\nexport const y = x;\n",
    });
    const v = checkLayers(src);
    expect(v).toHaveLength(1);
    expect(v[0]!.file).toMatch(/history\/op\.ts$/);
    expect(v[0]!.line).toBe(2);
    expect(v[0]!.message).toContain('src/history (layer 1) imports src/run (layer 5)');
  });

  it('flags sideways imports between folders of the same rank, and allows downward ones', () => {
    const src = tree({
      'checker/a.ts': "import type { S } from '../systems/s.ts';\nimport { e } from '../base/e.ts';\n",
      'systems/s.ts': 'export type S = 1;\n',
      'base/e.ts': 'export const e = 1;\n',
    });
    const v = checkLayers(src);
    expect(v.map((x) => x.message)).toEqual([
      'src/checker (layer 2) imports src/systems (layer 2): imports must point to a lower layer',
    ]);
  });

  it('flags a folder that has no layer, and dynamic imports too', () => {
    const src = tree({
      'extra/x.ts': 'export {};\n',
      'base/b.ts': "export const load = () => import('../cli/main.ts');\n",
    });
    const messages = checkLayers(src).map((x) => x.message);
    expect(messages.some((m) => m.includes('src/extra has no layer'))).toBe(true);
    expect(messages.some((m) => m.includes('src/base (layer 0) imports src/cli'))).toBe(true);
  });
});
