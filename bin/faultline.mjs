#!/bin/sh
//bin/true; exec node --max-semi-space-size=64 "$0" "$@"
// The two lines above are shell and JavaScript at once: run as a command
// (npx faultline), sh runs `//bin/true` (a path to true) and then starts node
// with a 64 MB young generation, since at a million operations the checkers
// otherwise spend a third of their time in scavenges (`env -S` would say it
// in one line, but busybox's env lacks -S); for node, and for the formatter,
// line 2 is a comment. `node bin/faultline.mjs` runs without the flag.
// faultline runs from its TypeScript sources through tsx: no build step.
// One exception, for speed: a one-off `faultline check --history FILE` runs
// from a bundle of that command (bin/bundle.mjs builds it on first use and
// again whenever a source changed). Anything it does not take (help, a run
// folder, a malformed option) goes the usual way.
const args = process.argv.slice(2);
if (args[0] === 'check' && args.some((a) => a === '--history' || a.startsWith('--history='))) {
  const { loadCheckHistory } = await import('./bundle.mjs');
  const command = await loadCheckHistory();
  const code = command ? await command.checkHistoryMain(args.slice(1)) : undefined;
  if (code !== undefined) {
    process.exitCode = code;
    process.exit();
  }
}
const { register } = await import('tsx/esm/api');
register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv);
