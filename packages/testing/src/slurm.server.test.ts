/**
 * The one-node Slurm cluster runs an array job two tasks at a time, gives each task its
 * index and the array's size, requeues a failed task promptly, and leaves nothing behind.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseJobs, startSlurm, type SlurmCluster } from './slurm';

describe('parseJobs', () => {
  it('reads the fields of scontrol --oneliner, values with = and : included', () => {
    const [job] = parseJobs(
      'JobId=12 ArrayJobId=10 ArrayTaskId=2 JobName=wrap JobState=FAILED Reason=NonZeroExitCode Dependency=(null) Restarts=1 ExitCode=3:0 TRES=cpu=1,node=1 NtasksPerN:B:S:C=0:0:*:* Command=(null)\n',
    );
    expect(job).toMatchObject({
      jobId: '12',
      arrayJobId: '10',
      arrayTaskId: '2',
      state: 'FAILED',
      reason: 'NonZeroExitCode',
      exitCode: 3,
      restarts: 1,
    });
    expect(job?.fields.TRES).toBe('cpu=1,node=1');
    expect(job?.fields['NtasksPerN:B:S:C']).toBe('0:0:*:*');
  });
});

describe('Slurm cluster of one node', () => {
  let slurm: SlurmCluster;

  beforeAll(async () => {
    slurm = await startSlurm();
  }, 60_000);

  afterAll(async () => {
    await slurm?.stop();
  });

  it('runs an array job, two tasks at a time, and requeues a failed task', async () => {
    const out = join(slurm.dir, 'out');
    // Task 2 fails on its first attempt only (Slurm sets SLURM_RESTART_COUNT once requeued).
    const script = [
      'echo "$SLURM_ARRAY_TASK_ID of $SLURM_ARRAY_TASK_COUNT attempt ${SLURM_RESTART_COUNT:-0}"',
      'if [ "$SLURM_ARRAY_TASK_ID" = 2 ] && [ -z "$SLURM_RESTART_COUNT" ]; then exit 3; fi',
    ].join('\n');
    const job = await slurm.submit([
      '--array=0-3%2',
      `--output=${out}-%a.txt`,
      `--chdir=${slurm.dir}`,
      '--wrap',
      script,
    ]);
    const ended = await slurm.waitFor(job, 60_000);
    const byTask = new Map(ended.map((task) => [task.arrayTaskId, task]));
    expect([...byTask.keys()].sort()).toEqual(['0', '1', '2', '3']);
    for (const task of ['0', '1', '3'])
      expect(byTask.get(task)).toMatchObject({ state: 'COMPLETED', exitCode: 0 });
    expect(byTask.get('2')).toMatchObject({ state: 'FAILED', exitCode: 3 });
    expect(readFileSync(`${out}-1.txt`, 'utf8')).toBe('1 of 4 attempt 0\n');

    await slurm.command('scontrol', ['requeue', `${job}_2`]);
    const [again] = await slurm.waitFor(`${job}_2`, 60_000);
    expect(again).toMatchObject({ state: 'COMPLETED', exitCode: 0, restarts: 1 });
    expect(readFileSync(`${out}-2.txt`, 'utf8')).toBe('2 of 4 attempt 1\n');
  }, 120_000);

  it('stops its daemons and removes its directory', async () => {
    const { dir } = slurm;
    const pids = ['slurmctld.pid', 'slurmd.pid'].map((name) =>
      Number(readFileSync(join(dir, name), 'utf8')),
    );
    await slurm.stop();
    expect(existsSync(dir)).toBe(false);
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
  }, 30_000);
});
