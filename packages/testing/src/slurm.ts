/**
 * A real Slurm cluster of one node (this machine) for tests: Debian's `slurm-wlm` and
 * `munge`, on 127.0.0.1 with free ports, its configuration, munge key, state, spool and
 * logs in a temporary directory. Its scheduler is tuned to start jobs promptly (a job
 * starts within about a second of its submission; a requeued job after 5 s), so a
 * test of array jobs takes seconds. Ready in about 1 s.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { cpus, hostname, tmpdir, totalmem, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './ports';
import { spawnServer, whenReady, type ServerProcess } from './server-process';

const run = promisify(execFile);

/** Options of {@link startSlurm}. */
export interface SlurmOptions {
  /** CPUs of the node, i.e. jobs of one CPU that run at once (default: this machine's, at least 2). */
  cpus?: number;
  /** How long to wait for the node to be ready (default 30,000 ms). */
  startTimeoutMs?: number;
}

/** A job (or one task of an array job) as `scontrol show job` gives it. */
export interface SlurmJob {
  /** Its own job id. */
  jobId: string;
  /** The array's job id, for a task of an array job. */
  arrayJobId?: string;
  /** The task index (`3`), or a range of tasks not started yet (`4-7%2`). */
  arrayTaskId?: string;
  /** `PENDING`, `RUNNING`, `COMPLETED`, `FAILED`, `CANCELLED`, ... */
  state: string;
  /** Why it is in that state (e.g. `Dependency`, `NonZeroExitCode`). */
  reason: string;
  /** The exit code of its script (0 while it runs). */
  exitCode: number;
  /** How many times it was requeued. */
  restarts: number;
  /** Every field `scontrol` shows. */
  fields: Readonly<Record<string, string>>;
}

/** A running one-node Slurm cluster. */
export interface SlurmCluster {
  /** The temporary directory of its configuration, key, state, spool and logs. */
  dir: string;
  /** Its `slurm.conf`. */
  conf: string;
  /** The environment Slurm's commands need to reach it (`SLURM_CONF`). */
  env: { SLURM_CONF: string };
  /** The CPUs of its node. */
  cpus: number;
  /**
   * Run one of Slurm's commands (`sbatch`, `scontrol`, `squeue`, ...) on it, with `env` added
   * to this process's environment; resolves with its output.
   */
  command(name: string, args: readonly string[], env?: NodeJS.ProcessEnv): Promise<string>;
  /** `sbatch --parsable <args>` (a job gets the environment of its submission, `env` added): resolves with the job id. */
  submit(args: readonly string[], env?: NodeJS.ProcessEnv): Promise<string>;
  /** The job `jobId`, or every task of the array job `jobId`. */
  jobs(jobId: string): Promise<SlurmJob[]>;
  /**
   * Wait until every job of `jobId` (every task of an array) has ended, whatever its end;
   * throws with the jobs' states and the daemons' logs after `timeoutMs` (default 120,000).
   */
  waitFor(jobId: string, timeoutMs?: number): Promise<SlurmJob[]>;
  /** The last lines of the daemons' logs, for error messages. */
  logs(): string;
  /** Cancel every job, stop the daemons and remove the directory. */
  stop(): Promise<void>;
}

/** Job states that are not final. */
const ACTIVE_STATES = new Set([
  'PENDING',
  'CONFIGURING',
  'RUNNING',
  'COMPLETING',
  'REQUEUED',
  'REQUEUE_FED',
  'REQUEUE_HOLD',
  'RESIZING',
  'SUSPENDED',
  'STOPPED',
  'SIGNALING',
  'STAGE_OUT',
  'RESV_DEL_HOLD',
  'SPECIAL_EXIT',
]);

/**
 * The configuration of the cluster. The scheduling settings are what makes it prompt:
 * the FIFO scheduler runs on every submission and job end (and its full pass every
 * second), batch jobs are not held back to be scheduled in groups, and a requeued job
 * waits the shortest credential lifetime Slurm accepts (5 s) instead of 120 s.
 */
function slurmConf(dir: string, ports: { controller: number; node: number }, cpus: number): string {
  const user = userInfo().username;
  const host = hostname().split('.')[0] as string;
  return `# A one-node Slurm cluster for tests (generated).
ClusterName=somtest
SlurmctldHost=${host}(127.0.0.1)
SlurmctldPort=${ports.controller}
SlurmdPort=${ports.node}
SlurmUser=${user}
SlurmdUser=${user}
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=${join(dir, 'munge', 'munge.socket')},cred_expire=5
StateSaveLocation=${join(dir, 'state')}
SlurmdSpoolDir=${join(dir, 'spool')}
SlurmctldPidFile=${join(dir, 'slurmctld.pid')}
SlurmdPidFile=${join(dir, 'slurmd.pid')}
SlurmctldLogFile=${join(dir, 'log', 'slurmctld.log')}
SlurmdLogFile=${join(dir, 'log', 'slurmd.log')}
ProctrackType=proctrack/pgid
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
MailProg=/bin/true
SchedulerType=sched/builtin
SchedulerParameters=sched_interval=1,batch_sched_delay=0
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SlurmdParameters=config_overrides
ReturnToService=2
MinJobAge=3600
KillWait=5
NodeName=${host} NodeAddr=127.0.0.1 CPUs=${cpus} RealMemory=${Math.floor(totalmem() / 2 ** 20)} State=UNKNOWN
PartitionName=test Nodes=${host} Default=YES MaxTime=INFINITE State=UP
`;
}

/** `scontrol show job -o` output: one line per job of `Key=Value` fields. */
export function parseJobs(text: string): SlurmJob[] {
  return text
    .split('\n')
    .filter((line) => line.includes('JobId='))
    .map((line) => {
      const fields: Record<string, string> = {};
      for (const match of line.matchAll(
        /(?:^|\s)([A-Za-z][\w:/]*)=(.*?)(?=\s+[A-Za-z][\w:/]*=|\s*$)/g,
      ))
        fields[match[1] as string] = match[2] as string;
      const [code = '0'] = (fields.ExitCode ?? '0:0').split(':');
      return {
        jobId: fields.JobId ?? '',
        ...(fields.ArrayJobId !== undefined ? { arrayJobId: fields.ArrayJobId } : {}),
        ...(fields.ArrayTaskId !== undefined ? { arrayTaskId: fields.ArrayTaskId } : {}),
        state: fields.JobState ?? '',
        reason: fields.Reason ?? '',
        exitCode: Number(code),
        restarts: Number(fields.Restarts ?? 0),
        fields,
      };
    });
}

/** The last `lines` lines of a file, or nothing when it does not exist. */
function tail(file: string, lines = 20): string {
  if (!existsSync(file)) return '';
  return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
}

/** Resolve once `check` resolves true (polling every 100 ms), or throw `what` after `timeoutMs`. */
async function poll(
  check: () => Promise<boolean>,
  timeoutMs: number,
  what: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(what());
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Start munged with a fresh key, then slurmctld and slurmd; resolves once the node is idle.
 * The daemons die with the process that started them (see `spawnServer`); jobs still
 * running at {@link SlurmCluster.stop} are cancelled.
 */
export async function startSlurm(options: SlurmOptions = {}): Promise<SlurmCluster> {
  const timeoutMs = options.startTimeoutMs ?? 30_000;
  const nodeCpus = options.cpus ?? Math.max(2, cpus().length);
  const dir = mkdtempSync(join(tmpdir(), 'som-slurm-'));
  const removeDir = (): void => rmSync(dir, { recursive: true, force: true });
  // munged wants every directory on the way to its socket open to all, and its key private.
  chmodSync(dir, 0o755);
  for (const sub of ['munge', 'state', 'spool', 'log']) mkdirSync(join(dir, sub), { mode: 0o755 });
  const keyFile = join(dir, 'munge', 'munge.key');
  writeFileSync(keyFile, randomBytes(1024), { mode: 0o600 });
  const conf = join(dir, 'slurm.conf');
  const env = { SLURM_CONF: conf };
  const daemons: ServerProcess[] = [];
  const logs = (): string =>
    ['slurmctld.log', 'slurmd.log']
      .map((name) => `--- ${name}\n${tail(join(dir, 'log', name))}`)
      .concat(daemons.map((daemon) => daemon.output()))
      .join('\n');
  const command = async (
    name: string,
    args: readonly string[],
    extra: NodeJS.ProcessEnv = {},
  ): Promise<string> => {
    const { stdout } = await run(name, [...args], {
      env: { ...process.env, ...extra, ...env },
      timeout: 30_000,
    });
    return stdout;
  };
  const stopDaemons = async (): Promise<void> => {
    for (const daemon of daemons.reverse()) await daemon.stop(2000);
  };
  try {
    const socket = join(dir, 'munge', 'munge.socket');
    const munged = spawnServer({
      name: 'munged',
      command: 'munged',
      args: [
        '--foreground',
        `--key-file=${keyFile}`,
        `--socket=${socket}`,
        `--pid-file=${join(dir, 'munge', 'munged.pid')}`,
        `--seed-file=${join(dir, 'munge', 'munged.seed')}`,
        `--log-file=${join(dir, 'log', 'munged.log')}`,
      ],
    });
    daemons.push(munged);
    await whenReady(
      munged,
      'munged',
      poll(
        async () => (await run('munge', ['--socket', socket, '--no-input']), true),
        timeoutMs,
        () => `munged did not answer on ${socket}`,
      ),
    );
    const ports = { controller: await freePort(), node: await freePort() };
    writeFileSync(conf, slurmConf(dir, ports, nodeCpus));
    const [controller, node] = (['slurmctld', 'slurmd'] as const).map((name) => {
      const daemon = spawnServer({ name, command: name, args: ['-D', '-f', conf], env });
      daemons.push(daemon);
      return daemon;
    }) as [ServerProcess, ServerProcess];
    const idle = poll(
      async () => (await command('sinfo', ['--noheader', '--format=%T'])).trim() === 'idle',
      timeoutMs,
      () => `the Slurm node was not idle within ${timeoutMs} ms:\n${logs()}`,
    );
    await whenReady(controller, 'slurmctld', whenReady(node, 'slurmd', idle));
  } catch (err) {
    await stopDaemons();
    removeDir();
    throw err;
  }
  process.once('exit', removeDir);
  let stopped = false;
  const jobs = async (jobId: string): Promise<SlurmJob[]> =>
    parseJobs(await command('scontrol', ['--oneliner', 'show', 'job', jobId]));
  return {
    dir,
    conf,
    env,
    cpus: nodeCpus,
    command,
    jobs,
    logs,
    async submit(args, extra) {
      return (await command('sbatch', ['--parsable', ...args], extra))
        .trim()
        .split(';')[0] as string;
    },
    async waitFor(jobId, waitMs = 120_000) {
      let last: SlurmJob[] = [];
      await poll(
        async () => {
          last = await jobs(jobId);
          return last.length > 0 && last.every((job) => !ACTIVE_STATES.has(job.state));
        },
        waitMs,
        () =>
          `Slurm job ${jobId} did not end within ${waitMs} ms: ${last
            .map(
              (job) =>
                `${job.jobId}${job.arrayTaskId !== undefined ? `[${job.arrayTaskId}]` : ''} ${job.state} (${job.reason})`,
            )
            .join(', ')}\n${logs()}`,
      );
      return last;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await command('scancel', ['--full', `--user=${userInfo().username}`]).catch(() => undefined);
      const noJobs = async (): Promise<boolean> =>
        (await command('squeue', ['--noheader'])).trim() === '';
      await poll(noJobs, 5000, () => '').catch(() => undefined);
      await stopDaemons();
      process.off('exit', removeDir);
      removeDir();
    },
  };
}
