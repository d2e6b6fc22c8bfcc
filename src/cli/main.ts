import { Command, CommanderError, Option } from 'commander';
import { EXIT, FaultlineError } from '../base/errors.ts';
import { duration, parseFlag } from '../base/schema.ts';
import { printable } from '../base/terminal.ts';
import { cleanupLeftovers } from '../cluster/registry.ts';
import type { RunResults } from '../report/results.ts';
import { checkRunDir } from '../run/analyse.ts';
import { listPresets, PRESET_DIRS, type PresetKind } from '../run/presets.ts';
import { type RunOptions, resolveRunConfig } from '../run/resolve.ts';
import { runTest } from '../run/run.ts';
import { registerCampaign } from './campaign.ts';
import { runCheckHistory } from './check-history.ts';
import { registerClaims } from './claims.ts';
import { registerCompare } from './compare.ts';
import { interruptOnSignals } from './interrupt.ts';
import { reportError } from './job-run.ts';
import { createProgress } from './progress.ts';
import { registerServe } from './serve.ts';
import { addShrinkCommand } from './shrink.ts';

/**
 * The command line. Commander only parses strings; everything is validated
 * by resolveRunConfig (or the command) so that bad input exits 3 with a
 * message that names the problem, before anything is started.
 */
export const main = async (argv: readonly string[]): Promise<number> => {
  let code: number = EXIT.ok;
  const program = new Command('faultline')
    .description('Jepsen-style fault injection: run a replicated system under faults and check what it claims.')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    .showHelpAfterError('(run with --help for usage)');

  program
    .command('run')
    .description('run a test: cluster up, workload + nemesis for the time limit, heal, final reads, check, report')
    .option('-c, --config <file>', 'a run YAML file referencing or inlining cluster/workload/nemesis presets')
    .option('--cluster <preset>', 'cluster preset name or YAML path (default single-leader-sync)')
    .option('--workload <preset>', 'workload preset name or YAML path (default register)')
    .option(
      '--nemesis <preset>',
      'nemesis preset name or YAML path, or several joined with + to overlap (default leader-kill; "none" for no faults)',
    )
    .option(
      '--schedule <file>',
      "replay a schedule file (a run folder's schedule.yaml) step by step, in place of --nemesis",
    )
    .option('--backend <name>', 'where nodes run: local (default) or docker')
    .option('--nodes <n>', "number of nodes (default: the cluster preset's)")
    .option('-t, --time-limit <duration>', 'length of the run phase, e.g. 30s (default 30s)')
    .option('--concurrency <n>', 'client workers (default 5)')
    .option('--rate <ops/s>', 'total operations per second, 0 for unlimited (default 100)')
    .option('--seed <n>', 'seed for the operation mix and the fault schedule (default random, printed)')
    .option('--op-timeout <duration>', 'per-operation timeout; a timed-out op is recorded as info (default 2s)')
    .option('--quiesce <duration>', 'quiet time after healing, before final reads (default 3s)')
    .option('--reports-dir <dir>', 'where run folders are written (default ./reports)')
    .option('--test <name>', 'test name: the folder under the reports dir')
    .addOption(new Option('--check-timeout <duration>', 'budget for the linearizability search (default 60s)'))
    .action(async (opts: RunOptions) => {
      code = await runCommand(opts);
    });

  program
    .command('check')
    .description('re-analyse a stored run folder, or check a history file recorded anywhere (--history)')
    .argument('[run-dir]', 'a run folder, e.g. reports/<test>/<run-id>')
    .option('--history <file>', 'a history file: faultline jsonl, Jepsen/Knossos EDN, Jepsen log or porcupine kv')
    .addOption(
      new Option('--format <format>', 'history format')
        .choices(['auto', 'jsonl', 'edn', 'jepsen-log', 'porcupine-kv'])
        .default('auto'),
    )
    .option(
      '--model <model>',
      'model for --history (e.g. cas-register, register, kv, kv-append, set, queue, mutex)',
      'cas-register',
    )
    .option('--initial <edn>', 'initial model state as EDN: nil, 0, ""')
    .option('--timeout <duration>', 'checker time budget; beyond it the verdict is unknown (exit 2)')
    .option('--html <file>', 'write a visual explanation of a non-linearizable history')
    .action(async (runDir: string | undefined, opts: CheckOptions) => {
      code = await checkCommand(runDir, opts);
    });

  program
    .command('cleanup')
    .description('remove what a killed run left behind: processes, containers, networks, firewall chains, temp dirs')
    .option('--run-id <id>', 'only this run (default: every run whose controller is gone)')
    .option('--force', "with --run-id: also remove a live run's nodes (its controller is still running)")
    .option('--dry-run', 'list what would be removed')
    .action(async (opts: { runId?: string; dryRun?: boolean; force?: boolean }) => {
      code = await cleanupCommand(opts);
    });

  addShrinkCommand(program, (c) => {
    code = c;
  });

  program
    .command('presets')
    .description('list the cluster, workload and nemesis presets')
    .action(() => {
      for (const kind of Object.keys(PRESET_DIRS) as PresetKind[])
        console.log(`${kind}: ${listPresets(kind).join(', ')}`);
    });

  const done = (c: number) => {
    code = c;
  };
  registerCompare(program, done);
  registerCampaign(program, done);
  registerClaims(program, done);
  registerServe(program, done);

  try {
    await program.parseAsync([...argv]);
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help')
        return EXIT.ok;
      return EXIT.harness; // usage errors are bad input; commander already printed why
    }
    return reportError(e);
  }
  return code;
};

const runCommand = async (opts: RunOptions): Promise<number> => {
  let config: Awaited<ReturnType<typeof resolveRunConfig>>;
  try {
    config = await resolveRunConfig(opts);
  } catch (e) {
    return reportError(e);
  }
  const progress = createProgress(process.stderr, config);
  let runId: string | undefined;
  const { signal, release } = interruptOnSignals(
    () => progress.stop(),
    () => (runId ? [runId] : []),
  );
  try {
    const outcome = await runTest(config, {
      signal,
      observer: {
        ...progress,
        onStart: (info) => {
          runId = info.runId;
          progress.onStart?.(info);
        },
      },
    });
    progress.stop();
    printSummary(outcome.results, outcome.dir);
    return outcome.exitCode;
  } catch (e) {
    progress.stop();
    return reportError(e);
  } finally {
    release();
  }
};

interface CheckOptions {
  history?: string;
  format: 'auto' | 'jsonl' | 'edn' | 'jepsen-log' | 'porcupine-kv';
  model: string;
  initial?: string;
  timeout?: string;
  html?: string;
}

const checkCommand = async (runDir: string | undefined, opts: CheckOptions): Promise<number> => {
  try {
    const timeoutMs =
      opts.timeout !== undefined ? parseFlag('--timeout', duration({ positive: true }), opts.timeout) : undefined;
    if (opts.history) {
      return await runCheckHistory({
        history: opts.history,
        format: opts.format,
        model: opts.model,
        ...(opts.initial !== undefined ? { initial: opts.initial } : {}),
        ...(timeoutMs !== undefined ? { timeoutMs } : {}),
        ...(opts.html ? { html: opts.html } : {}),
      });
    }
    if (!runDir)
      throw new FaultlineError('FL_ERR_CONFIG', 'give a run folder or --history FILE', {
        hint: 'faultline check reports/<test>/<run-id>',
      });
    const { results, exitCode } = await checkRunDir(
      runDir,
      timeoutMs !== undefined ? { checkTimeoutMs: timeoutMs } : {},
    );
    printSummary(results, runDir);
    return exitCode;
  } catch (e) {
    return reportError(e);
  }
};

const cleanupCommand = async (opts: { runId?: string; dryRun?: boolean; force?: boolean }): Promise<number> => {
  try {
    const { removed, spared } = await cleanupLeftovers(opts);
    const verb = opts.dryRun ? 'would remove' : 'removed';
    for (const l of removed) console.log(`${verb} ${l.kind} ${printable(l.description)} (run ${l.runId})`);
    for (const l of spared)
      console.log(`spared ${l.kind} ${printable(l.description)} (run ${l.runId} is live; --force to remove)`);
    const counts = new Map<string, number>();
    for (const l of removed) counts.set(l.kind, (counts.get(l.kind) ?? 0) + 1);
    const plural = (kind: string) => (kind.endsWith('s') ? `${kind}es` : `${kind}s`);
    const summary = [...counts].map(([kind, n]) => `${n} ${n === 1 ? kind : plural(kind)}`).join(', ') || 'nothing';
    console.log(`${summary} ${verb}`);
    if (opts.runId && spared.length > 0 && removed.length === 0) {
      console.error(`run ${opts.runId} is still running; stop it with Ctrl-C, or use --force to remove its nodes now`);
      return EXIT.harness;
    }
    return EXIT.ok;
  } catch (e) {
    return reportError(e);
  }
};

const printSummary = (results: RunResults, dir: string): void => {
  const verdict = results.valid === true ? 'PASS' : results.valid === false ? 'FAIL' : 'UNKNOWN';
  const out: string[] = [''];
  // results.json of a stored run is untrusted (`check DIR`): every field goes through printable().
  out.push(
    `${verdict}${results.interrupted ? ' (interrupted)' : ''}: ${printable(String(results.test))}, seed ${printable(String(results.seed))}`,
  );
  for (const c of results.claims) {
    const mark = c.held === true ? 'held' : c.held === false ? 'VIOLATED' : String(c.held);
    out.push(`  ${printable(String(c.name)).padEnd(14)} ${printable(mark).padEnd(9)} ${printable(String(c.detail))}`);
  }
  for (const [name, r] of Object.entries(results.checkers)) {
    const summary = typeof r.summary === 'string' ? r.summary : '';
    out.push(
      `  checker ${printable(name)}: ${r.valid === true ? 'valid' : r.valid === false ? 'invalid' : 'unknown'}${summary ? ` — ${printable(summary)}` : ''}`,
    );
  }
  out.push(`  report: ${printable(dir)}/report.html`);
  if (results.valid !== true) out.push(`  replay: ${printable(String(results.replay))}`);
  console.log(out.join('\n'));
};
