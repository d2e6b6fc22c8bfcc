import type { NodeId, NodeLaunch } from '../../systems/system.ts';
import { commandLine } from '../node-start.ts';

/**
 * How a node's processes run inside its container: the container's command
 * is an init (tini, reaping orphans and passing signals to the whole
 * process group) running this POSIX shell script, which faultline rewrites
 * in the node's bind-mounted directory before every start.
 *
 * - Setup steps run first, once: each must exit 0, and a marker file
 *   records that they all did, so a restart skips them (the data dir
 *   survives restarts: same container, same bind mount).
 * - A node of one process `exec`s it, so the process is the container's
 *   main process and its exit code the container's.
 * - A node of several processes (Redis beside its Sentinel) starts them in
 *   the background and watches them; when one ends, the others are killed
 *   and the container stops, so "the node is running" means every process
 *   is, as on the local backend. A `docker stop` (SIGTERM) lets them all
 *   shut down first.
 *
 * The engine then gives the rest for free: SIGKILL to the init takes down
 * every process of the node (the pid namespace dies with it), `start`
 * restarts the same container with its data, and `pause` freezes every
 * process through the cgroup freezer.
 */

export interface SupervisorPlan {
  node: NodeId;
  /** Host path, bind-mounted at the same path: holds this script, the setup marker and the clock file. */
  nodeDir: string;
  dataDir: string;
  setup: readonly NodeLaunch[];
  /** Steps for this start only, after setup and before launch: what `System.rejoin` asked for a restart. */
  rejoin?: readonly NodeLaunch[];
  launch: readonly NodeLaunch[];
  /** Added to every process's environment (libfaketime). */
  env: Readonly<Record<string, string>>;
  /** Honour NodeLaunch.user (the container runs as root); false runs everything as the container's user. */
  switchUsers: boolean;
  /**
   * Also forward SIGTERM to the node's processes from the script (when the
   * init only signals its direct child, as Docker's own --init does).
   */
  forwardTerm: boolean;
}

export const SETUP_MARKER = '.setup-done';
export const SCRIPT_NAME = 'run.sh';

/** Single-quotes a word for sh. */
export const shQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** The shell words that run `launch` with its environment (and, as root, as its user). */
const invocation = (l: NodeLaunch, plan: SupervisorPlan): string => {
  const env = Object.entries({ ...l.env, ...plan.env }).map(([k, v]) => shQuote(`${k}=${v}`));
  const command = [l.command, ...l.args].map(shQuote).join(' ');
  if (plan.switchUsers && l.user) {
    // The environment goes in after the switch (env(1) runs as the user): libfaketime preloaded into the
    // root setpriv would create shared memory the user cannot open, and pass it on to the command.
    const user = shQuote(l.user);
    return `exec setpriv --reuid=${user} --regid="$(id -g ${user})" --init-groups -- env ${env.join(' ')} ${command}`;
  }
  return `${env.map((e) => `export ${e}; `).join('')}exec ${command}`;
};

/** The supervisor script for one start of a node. */
export const supervisorScript = (plan: SupervisorPlan): string => {
  const label = (l: NodeLaunch) => (plan.launch.length > 1 ? `${plan.node}/${l.name}` : plan.node);
  const marker = shQuote(`${plan.nodeDir}/${SETUP_MARKER}`);
  const users = plan.switchUsers
    ? [...new Set([...plan.setup, ...(plan.rejoin ?? []), ...plan.launch].flatMap((l) => (l.user ? [l.user] : [])))]
    : [];
  const lines: string[] = [
    `# faultline: supervisor of node ${plan.node}; rewritten before every start (src/cluster/docker/supervisor.ts).`,
    'set -u',
    'note() { echo "--- faultline: $*"; }',
  ];
  // Setup, once.
  if (plan.setup.length > 0 || users.length > 0) {
    lines.push(`if [ ! -e ${marker} ]; then`);
    for (const u of users) {
      lines.push(`  chown -R ${shQuote(u)}:"$(id -g ${shQuote(u)})" ${shQuote(plan.dataDir)} || exit 1`);
    }
    for (const step of plan.setup) {
      lines.push(
        `  note ${shQuote(`setup ${plan.node}/${step.name}: ${commandLine(step.command, step.args)}`)}`,
        `  ( ${invocation(step, plan)} ) || { rc=$?; note "setup step ${step.name} exited with code $rc"; exit "$rc"; }`,
      );
    }
    lines.push(`  : > ${marker}`, 'fi');
  }
  for (const step of plan.rejoin ?? []) {
    lines.push(
      `note ${shQuote(`rejoin ${plan.node}/${step.name}: ${commandLine(step.command, step.args)}`)}`,
      `( ${invocation(step, plan)} ) || { rc=$?; note "setup step ${step.name} exited with code $rc"; exit "$rc"; }`,
    );
  }
  if (plan.launch.length === 1) {
    const l = plan.launch[0]!;
    lines.push(`note ${shQuote(`${label(l)}: ${commandLine(l.command, l.args)}`)}`, invocation(l, plan));
    return `${lines.join('\n')}\n`;
  }
  // Several processes: start all, stop the node when the first one ends.
  lines.push('stopping=0');
  const pids = plan.launch.map((_, i) => `"$p${i}"`).join(' ');
  plan.launch.forEach((l, i) => {
    lines.push(
      `note ${shQuote(`${label(l)}: ${commandLine(l.command, l.args)}`)}`,
      `( ${invocation(l, plan)} ) &`,
      `p${i}=$!`,
    );
  });
  lines.push(
    plan.forwardTerm
      ? `trap 'stopping=1; kill -TERM ${pids} 2>/dev/null' TERM INT`
      : // tini -g has already signalled every process of the group.
        `trap 'stopping=1' TERM INT`,
    'while :; do',
  );
  plan.launch.forEach((l, i) => {
    lines.push(
      `  if ! kill -0 "$p${i}" 2>/dev/null; then`,
      `    wait "$p${i}"; rc=$?`,
      '    if [ "$stopping" = 1 ]; then wait; exit 0; fi',
      `    note "${label(l)} exited with code $rc; stopping the node"`,
      `    kill -KILL ${pids} 2>/dev/null`,
      '    [ "$rc" = 0 ] && rc=1',
      '    exit "$rc"',
      '  fi',
    );
  });
  lines.push('  sleep 0.2', 'done');
  return `${lines.join('\n')}\n`;
};
