// The prebuilt bundle behind faultline's one fast path, `faultline check --history`.
//
// faultline runs from its TypeScript sources through tsx, and loading tsx and
// every command costs most of a second before anything is checked. For a
// one-off check that is most of the time, so esbuild (tsx's own dependency)
// bundles that command, and the linearizability worker thread, into
// node_modules/.cache/faultline/<hash>/ the first time it is needed.
//
// A stale bundle is never used: current.json records the SHA-256 of every
// source file that went into it (and of this file); each start hashes them
// again (about a millisecond) and rebuilds when one differs. Builds go to a
// fresh directory that is renamed into place, so concurrent starts never
// see half a bundle. Anything that goes wrong (no esbuild, a read-only
// node_modules) returns undefined: the caller then runs the sources through
// tsx as before. FAULTLINE_NO_BUNDLE=1 skips the bundle.
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const packageRoot = fileURLToPath(new URL('..', import.meta.url));
const self = fileURLToPath(import.meta.url);
/** Where a package's bundles live (tests build a copy of the sources elsewhere). */
const cacheOf = (root) => join(root, 'node_modules', '.cache', 'faultline');
const ENTRIES = {
  'check-history': 'src/cli/check-history.ts',
  'lin-worker': 'src/checker/linearizable/worker.ts',
};
/** Bundles kept besides the current one (a long-running process may still start workers from an older one). */
const KEEP = 3;
/**
 * Files that modules read beside themselves at run time (`new URL('./viz.css',
 * import.meta.url)`): copied next to the bundle, whose import.meta.url they
 * then resolve against, and hashed like the sources.
 */
const ASSET = /\.(css|js|mjs|html|svg|json|txt)$/;

const hashOf = (file) => createHash('sha256').update(readFileSync(file)).digest('hex');

/** The current bundle's directory when every input still hashes as recorded, else undefined. */
const current = (root) => {
  const cacheDir = cacheOf(root);
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(join(cacheDir, 'current.json'), 'utf8'));
    if (hashOf(self) !== manifest.builder) return undefined;
    for (const [file, hash] of Object.entries(manifest.inputs)) {
      if (hashOf(join(root, file)) !== hash) return undefined;
    }
    for (const name of Object.keys(ENTRIES)) statSync(join(cacheDir, manifest.dir, `${name}.mjs`));
  } catch {
    return undefined;
  }
  return join(cacheDir, manifest.dir);
};

const build = async (root) => {
  const esbuild = await import('esbuild');
  const cacheDir = cacheOf(root);
  const currentFile = join(cacheDir, 'current.json');
  mkdirSync(cacheDir, { recursive: true });
  const tmp = join(cacheDir, `.build-${process.pid}-${Date.now()}`);
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: Object.entries(ENTRIES).map(([out, entry]) => ({ in: entry, out })),
    outdir: tmp,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    // parallel.ts starts workers from the bundled worker instead of through tsx.
    define: { FAULTLINE_BUNDLED: 'true' },
    metafile: true,
    logLevel: 'silent',
  });
  const inputs = {};
  for (const file of Object.keys(result.metafile.inputs)) inputs[file] = hashOf(join(root, file));
  const copied = new Map();
  for (const dir of new Set(Object.keys(inputs).map((f) => dirname(f)))) {
    for (const name of readdirSync(join(root, dir))) {
      if (!ASSET.test(name)) continue;
      const file = join(dir, name);
      const hash = hashOf(join(root, file));
      // Two assets of one name from different folders cannot both sit beside the bundle.
      if (copied.has(name) && copied.get(name) !== hash) throw new Error(`two assets named ${name}`);
      copied.set(name, hash);
      copyFileSync(join(root, file), join(tmp, name));
      inputs[file] = hash;
    }
  }
  const builder = hashOf(self);
  const dir = createHash('sha256').update(JSON.stringify({ inputs, builder })).digest('hex').slice(0, 16);
  try {
    renameSync(tmp, join(cacheDir, dir));
  } catch {
    rmSync(tmp, { recursive: true, force: true }); // built by another start at the same time: same contents
  }
  const next = `${currentFile}.${process.pid}`;
  writeFileSync(next, JSON.stringify({ dir, builder, inputs }, null, 1));
  renameSync(next, currentFile);
  prune(cacheDir, dir);
  return join(cacheDir, dir);
};

const prune = (cacheDir, keep) => {
  const dirs = readdirSync(cacheDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith('.') && d.name !== keep)
    .map((d) => ({ name: d.name, mtime: statSync(join(cacheDir, d.name)).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime);
  for (const d of dirs.slice(KEEP)) rmSync(join(cacheDir, d.name), { recursive: true, force: true });
};

/** The directory of an up-to-date bundle, building it if needed; undefined when that cannot be done. */
export const bundleDir = async (root = packageRoot) => {
  if (process.env.FAULTLINE_NO_BUNDLE === '1') return undefined;
  try {
    return current(root) ?? (await build(root));
  } catch {
    return undefined;
  }
};

/** The bundled `check --history` command (src/cli/check-history.ts), or undefined. */
export const loadCheckHistory = async (root = packageRoot) => {
  const dir = await bundleDir(root);
  if (dir === undefined) return undefined;
  try {
    return await import(pathToFileURL(join(dir, 'check-history.mjs')).href);
  } catch {
    return undefined;
  }
};

// `node bin/bundle.mjs` builds (or checks) the bundle and prints where it is.
if (process.argv[1] === self) {
  const dir = await bundleDir();
  console.log(dir ?? 'no bundle: esbuild failed or FAULTLINE_NO_BUNDLE=1; faultline runs through tsx');
  process.exitCode = dir ? 0 : 1;
}
