/**
 * A sharded upload on a real Slurm cluster (one node, Debian's slurm-wlm), with the job
 * scripts of deploy/slurm: an 8-shard plan as `sbatch --array=0-7%2`, one shard failing
 * (a file of it missing) and requeued once the file is back, `som finalize` as a job with
 * `--dependency=afterok`. The dataset is the one a single `som upload` makes.
 */
import { chmodSync, cpSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startSlurm, type SlurmCluster } from '@som/testing';
import { storedObjects, storedRecords } from './fixtures/dataset';
import { ROOT, SOM, makeFixtures, removeDir, som, tempDir } from './fixtures/som';

jest.setTimeout(240_000);

const SECRET = 'the pseudonymisation key of the Slurm test';
const COLLECTION = 'IRB-slurm';
const SLURM = join(ROOT, 'deploy', 'slurm');

let slurm: SlurmCluster;
let work: string;

beforeAll(async () => {
  slurm = await startSlurm();
  work = tempDir('slurm');
  // Six patients: four of many small files, two of the mixed fixtures' good files.
  makeFixtures('many', join(work, 'inputs', 'many'), 48);
  const mixed = join(work, 'mixed');
  makeFixtures('mixed', mixed);
  cpSync(join(mixed, 'good'), join(work, 'inputs', 'good'), { recursive: true });
  // The job scripts call `som`: this build's.
  mkdirSync(join(work, 'bin'));
  writeFileSync(join(work, 'bin', 'som'), `#!/bin/sh\nexec "${process.execPath}" "${SOM}" "$@"\n`);
  chmodSync(join(work, 'bin', 'som'), 0o755);
}, 120_000);

afterAll(async () => {
  await slurm?.stop();
  if (work !== undefined) removeDir(work);
});

it('runs an 8-shard plan as a job array, requeues a failed shard, finalizes after it, as one upload would', async () => {
  const cwd = join(work, 'sharded');
  mkdirSync(cwd);
  const plan = join(cwd, 'plan');
  const env = { SOM_SECRET: SECRET };
  const planned = await som(
    ['plan', join(work, 'inputs'), '--collection', COLLECTION, '--shards', '8', '--out', plan],
    { cwd, env },
  );
  expect(planned.stdout).toMatch(/planned \d+ files of 6 patients .* in 8 shards/);

  // Shard `broken` fails: one of its files is away while it runs (exit 1).
  const shardFiles = (i: number): string[] =>
    readFileSync(join(plan, 'shards', `${i}.jsonl`), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => (JSON.parse(line) as { path: string }).path);
  const broken = [0, 1, 2, 3, 4, 5, 6, 7].find((i) => shardFiles(i).length > 0) as number;
  const away = shardFiles(broken)[0] as string;
  renameSync(away, `${away}.away`);

  // One CPU and a little memory per job, whatever the scripts ask of a real cluster.
  const size = ['--cpus-per-task=1', '--mem=500M'];
  const jobEnv = {
    SOM_PLAN: plan,
    SOM_SECRET: SECRET,
    PATH: `${join(work, 'bin')}:${process.env.PATH}`,
  };
  const array = await slurm.submit(
    [
      ...size,
      '--array=0-7%2',
      `--chdir=${cwd}`,
      `--output=${cwd}/upload-%a.out`,
      join(SLURM, 'som-upload.sbatch'),
    ],
    jobEnv,
  );
  const finalize = await slurm.submit(
    [
      ...size,
      `--dependency=afterok:${array}`,
      `--chdir=${cwd}`,
      `--output=${cwd}/finalize.out`,
      join(SLURM, 'som-finalize.sbatch'),
    ],
    jobEnv,
  );
  const tasks = await slurm.waitFor(array);
  expect(tasks).toHaveLength(8);
  for (const task of tasks) {
    if (task.arrayTaskId === String(broken))
      expect(task).toMatchObject({ state: 'FAILED', exitCode: 1 });
    else expect(task).toMatchObject({ state: 'COMPLETED', exitCode: 0 });
  }
  const brokenLog = readFileSync(join(cwd, `upload-${broken}.out`), 'utf8');
  expect(brokenLog).toContain(`failed  ${away}: does not exist`);
  expect((await slurm.jobs(finalize))[0]?.state).toBe('PENDING');

  // The file is back: requeue the shard, and make finalize wait for it alone.
  renameSync(`${away}.away`, away);
  await slurm.command('scontrol', ['requeue', `${array}_${broken}`]);
  await slurm.command('scontrol', [
    'update',
    `JobId=${finalize}`,
    `Dependency=afterok:${array}_${broken}`,
  ]);
  const [requeued] = await slurm.waitFor(`${array}_${broken}`);
  expect(requeued).toMatchObject({ state: 'COMPLETED', exitCode: 0, restarts: 1 });
  const [done] = await slurm.waitFor(finalize);
  const finalizeLog = readFileSync(join(cwd, 'finalize.out'), 'utf8');
  expect({ job: done?.state, exit: done?.exitCode, log: finalizeLog }).toMatchObject({
    job: 'COMPLETED',
    exit: 0,
    log: expect.stringMatching(
      /finalize IRB-slurm: 8 of 8 shards reported; .*verified \d+ images: no problems left/,
    ),
  });
  const report = JSON.parse(readFileSync(join(plan, 'reports', `${broken}.json`), 'utf8'));
  expect(report).toMatchObject({ shard: broken, attempt: 2 });

  const single = join(work, 'single');
  mkdirSync(single);
  await som(['upload', join(work, 'inputs'), '--collection', COLLECTION], { cwd: single, env });
  expect(storedObjects(cwd)).toEqual(storedObjects(single));
  expect(await storedRecords(cwd, COLLECTION)).toEqual(await storedRecords(single, COLLECTION));
});
