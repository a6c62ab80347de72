/**
 * The sharded upload through the `som` command on the embedded default: processes given
 * each engine's task variables (Cloud Run, Kubernetes, Cloud Batch, AWS Batch) write one
 * SQLite database at once and leave the dataset a single `som upload` leaves; a shard
 * killed mid-run and run again, or run twice at once, changes nothing; a wrong task count,
 * key or setting is refused before anything is stored; a file whose patient changed since
 * planning fails alone; a file added after planning is not uploaded.
 */
import { copyFileSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { storedObjects, storedRecords } from './fixtures/dataset';
import { makeFixtures, removeDir, som, startSom, tempDir, type SomResult } from './fixtures/som';
import { dasherResults, json, type DasherRequestIdentifiers } from './fixtures/som';

jest.setTimeout(180_000);

const SECRET = 'the pseudonymisation key of the scale-out tests';
const COLLECTION = 'IRB-scale-out';

let inputs: string;
let single: string;

/** `som args...` with the test's key in `cwd`. */
const run = (cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<SomResult> =>
  som(args, { cwd, env: { SOM_SECRET: SECRET, ...env } });

/** `som plan` of `from` into `<cwd>/plan`, with `flags` besides the collection and shards. */
function plan(
  cwd: string,
  shards: number,
  from = inputs,
  flags: string[] = [],
): Promise<SomResult> {
  const into = ['--shards', String(shards), '--out', 'plan'];
  return run(cwd, ['plan', from, '--collection', COLLECTION, ...into, ...flags]);
}

/** The shard reports of the plan in `cwd`, by index. */
function reports(cwd: string): Map<
  number,
  {
    attempt: number;
    files: { path: string; entity?: string; outcome: string; reason?: string; code?: string }[];
  }
> {
  const dir = join(cwd, 'plan', 'reports');
  const found = new Map();
  for (const name of existsSync(dir) ? readdirSync(dir) : [])
    if (/^\d+\.json$/.test(name))
      found.set(Number.parseInt(name, 10), JSON.parse(readFileSync(join(dir, name), 'utf8')));
  return found;
}

/** The planned files of every shard: shard index -> patients. */
function plannedPatients(cwd: string, shards: number): Set<string>[] {
  return Array.from({ length: shards }, (_, i) => {
    const lines = readFileSync(join(cwd, 'plan', 'shards', `${i}.jsonl`), 'utf8').split('\n');
    return new Set(
      lines.filter(Boolean).map((line) => (JSON.parse(line) as { patient: string }).patient),
    );
  });
}

beforeAll(async () => {
  inputs = tempDir('scale-out-inputs');
  makeFixtures('many', join(inputs, 'many'), 60);
  makeFixtures('mixed', join(inputs, 'mixed'));
  single = tempDir('scale-out-single');
  const once = await run(single, ['upload', inputs, '--collection', COLLECTION]);
  expect(once.stdout).toMatch(/upload to collection/);
});
afterAll(() => [inputs, single].forEach(removeDir));

describe('som plan, som upload --plan, som finalize on the embedded default', () => {
  let cwd: string;
  const sources: string[] = [];
  beforeEach(() => {
    cwd = tempDir('scale-out');
  });
  afterEach(() => [cwd, ...sources.splice(0)].forEach(removeDir));

  /** Eight small files of four patients in a new directory (removed after the test). */
  function smallSource(): string {
    const source = tempDir('scale-out-source');
    sources.push(source);
    makeFixtures('many', join(source, 'many'), 8);
    return source;
  }

  it("runs four shards at once under four engines' variables as one upload would", async () => {
    expect((await plan(cwd, 4)).stdout).toMatch(/planned 6\d files of 6 patients/);
    const patients = plannedPatients(cwd, 4);
    const all = patients.flatMap((set) => [...set]);
    expect(new Set(all).size).toBe(all.length); // each patient in one shard
    const engines: NodeJS.ProcessEnv[] = [
      { CLOUD_RUN_TASK_INDEX: '0', CLOUD_RUN_TASK_COUNT: '4' },
      { JOB_COMPLETION_INDEX: '1' },
      { BATCH_TASK_INDEX: '2', BATCH_TASK_COUNT: '4' },
      { AWS_BATCH_JOB_ARRAY_INDEX: '3' },
    ];
    const results = await Promise.all(
      engines.map((env) => run(cwd, ['upload', '--plan', 'plan'], env)),
    );
    for (const result of results) {
      expect(result.stderr).not.toMatch(/locked|busy/i);
      expect({ code: result.code, stderr: result.stderr }).toMatchObject({ code: 0 });
    }
    expect(storedObjects(cwd)).toEqual(storedObjects(single));
    expect(await storedRecords(cwd, COLLECTION)).toEqual(await storedRecords(single, COLLECTION));

    // Each entity was written by one shard only.
    const shardOfEntity = new Map<string, number>();
    for (const [index, report] of reports(cwd))
      for (const file of report.files)
        if (file.entity !== undefined) {
          expect(shardOfEntity.get(file.entity) ?? index).toBe(index);
          shardOfEntity.set(file.entity, index);
        }

    const finalize = await run(cwd, ['finalize', '--plan', 'plan', '--json']);
    const result = JSON.parse(finalize.stdout);
    expect(result.missing).toEqual([]);
    expect(result.verify.remaining).toBe(0);
    // The files planning could not use are the ones the single upload failed.
    const failedOnce = (await run(single, ['upload', inputs, '--collection', COLLECTION, '--json']))
      .stdout;
    const expected = JSON.parse(failedOnce)
      .files.filter((f: { outcome: string }) => f.outcome === 'failed')
      .map((f: { path: string }) => f.path);
    expect(result.failed.map((f: { path: string }) => f.path).sort()).toEqual(expected.sort());
    expect(finalize.code).toBe(1);
  });

  it('a shard killed mid-run and run again, and a shard run twice at once, leave the same dataset', async () => {
    expect((await plan(cwd, 2)).code).toBe(1); // the mixed fixtures' bad files
    const killed = startSom(['upload', '--plan', 'plan', '--shard', '0'], {
      cwd,
      env: { SOM_SECRET: SECRET, SOM_CONCURRENCY: '1' },
    });
    await new Promise<void>((resolve) => {
      let written = 0;
      killed.child.stdout?.on('data', (chunk: Buffer) => {
        written += (chunk.toString().match(/^written/gm) ?? []).length;
        if (written >= 3) resolve();
      });
    });
    killed.child.kill('SIGKILL');
    expect((await killed.done).signal).toBe('SIGKILL');
    expect(reports(cwd).has(0)).toBe(false);

    const again = await run(cwd, ['upload', '--plan', 'plan', '--shard', '0']);
    expect(again.code).toBe(0);
    expect(reports(cwd).get(0)?.attempt).toBe(2);
    const [first, second] = await Promise.all([
      run(cwd, ['upload', '--plan', 'plan', '--shard', '1']),
      run(cwd, ['upload', '--plan', 'plan', '--shard', '1']),
    ]);
    expect([first.code, second.code]).toEqual([0, 0]);
    expect([1, 2]).toContain(reports(cwd).get(1)?.attempt);

    expect(storedObjects(cwd)).toEqual(storedObjects(single));
    expect(await storedRecords(cwd, COLLECTION)).toEqual(await storedRecords(single, COLLECTION));
    const finalize = await run(cwd, ['finalize', '--plan', 'plan', '--json']);
    expect(JSON.parse(finalize.stdout)).toMatchObject({ missing: [], verify: { remaining: 0 } });
  });

  it('refuses a wrong task count or another key before storing anything', async () => {
    await plan(cwd, 4);
    const count = await run(cwd, ['upload', '--plan', 'plan'], {
      SLURM_ARRAY_TASK_ID: '0',
      SLURM_ARRAY_TASK_COUNT: '3',
    });
    expect(count.code).toBe(2);
    expect(count.stderr).toMatch(
      /Slurm runs "3" tasks \(SLURM_ARRAY_TASK_COUNT\) but the plan has 4 shards/,
    );
    const key = await som(['upload', '--plan', 'plan', '--shard', '0'], {
      cwd,
      env: { SOM_SECRET: `another ${SECRET}` },
    });
    expect(key.code).toBe(2);
    expect(key.stderr).toMatch(/is not the one the plan was made with/);
    expect(key.stderr).not.toContain(SECRET);
    const none = await run(cwd, ['upload', '--plan', 'plan']);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no shard index: give --shard/);
    expect(existsSync(join(cwd, 'som-data', 'objects'))).toBe(false);
  });

  it("refuses settings other than the plan's before storing anything, and runs with the plan's", async () => {
    const source = smallSource();
    const settings = ['--metadata', 'Site=north', 'Arm=2', '--retain', 'uids'];
    const planned = await run(cwd, [
      'plan',
      source,
      '--collection',
      COLLECTION,
      '--shards',
      '1',
      '--out',
      'plan',
      ...settings,
    ]);
    expect(planned.code).toBe(0);
    const shard = ['upload', '--plan', 'plan', '--shard', '0'];
    const none = await run(cwd, shard);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain(
      'the profile options (--retain, --clean-descriptors), the fields added to image records (--metadata) are not what the plan was made with: give every shard the settings of som plan: nothing was stored',
    );
    const other = await run(cwd, [
      ...shard,
      '--metadata',
      'Site=south',
      'Arm=2',
      '--retain',
      'uids',
    ]);
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(
      /^som: error: the fields added to image records \(--metadata\) is not/,
    );
    expect(other.stderr).not.toMatch(/north|south/);
    const pixels = await run(cwd, [...shard, ...settings, '--pixel-filter', 'none']);
    expect(pixels.code).toBe(2);
    expect(pixels.stderr).toContain('the pixel filter (--pixel-filter) is not');
    expect(existsSync(join(cwd, 'som-data', 'objects'))).toBe(false);

    const same = await run(cwd, [
      ...shard,
      '--retain',
      'uids',
      '--metadata',
      'Arm=2',
      'Site=north',
    ]);
    expect({ code: same.code, stderr: same.stderr }).toMatchObject({ code: 0 });
    const records = Object.values(await storedRecords(cwd, COLLECTION));
    const images = records.filter((record) => 'objectName' in record);
    expect(images).toHaveLength(8);
    for (const image of images) expect(image).toMatchObject({ Site: 'north', Arm: 2 });
  });

  it('fails a file whose patient changed since planning, alone, with its reason', async () => {
    const source = smallSource();
    expect((await plan(cwd, 1, source)).code).toBe(0);
    // A file of patient p00 is replaced by another image of patient p01 (in a plan of
    // more shards, another shard's patient).
    makeFixtures('many', join(source, 'more'), 12);
    const changed = join(source, 'many', 'p00', 'IM00000.dcm');
    copyFileSync(join(source, 'more', 'p01', 'IM00009.dcm'), changed);
    const shard = await run(cwd, ['upload', '--plan', 'plan', '--shard', '0']);
    expect(shard.code).toBe(1);
    const files = reports(cwd).get(0)?.files ?? [];
    expect(files.filter((f) => f.outcome === 'written')).toHaveLength(7);
    expect(files.find((f) => f.path === changed)).toEqual({
      path: changed,
      outcome: 'failed',
      reason:
        'its patient is not the one it was planned with (the file changed since planning): plan again to upload it',
      code: 'FailedPrecondition',
    });
    expect(shard.stderr).not.toMatch(/MANY-000/); // the fixtures' PatientIDs
  });

  it('plans with aliases from a DASHER response file: its shards store what an upload with it stores', async () => {
    const source = smallSource();
    const request = json<DasherRequestIdentifiers>(await run(cwd, ['identifiers', source]));
    const results = dasherResults(request.identifiers);
    expect(results).toHaveLength(4);
    const ids = join(cwd, 'ids.json');
    writeFileSync(ids, JSON.stringify({ results }));
    const planned = await plan(cwd, 2, source, ['--ids', ids]);
    expect({ code: planned.code, stderr: planned.stderr }).toMatchObject({ code: 0 });
    expect(JSON.parse(readFileSync(join(cwd, 'plan', 'plan.json'), 'utf8')).aliasSource).toBe(
      'dasher',
    );
    expect(existsSync(join(cwd, 'plan', 'aliases.json'))).toBe(true);
    for (const shard of ['0', '1'])
      expect((await run(cwd, ['upload', '--plan', 'plan', '--shard', shard])).code).toBe(0);
    const once = tempDir('scale-out-dasher-once');
    sources.push(once);
    await run(once, ['upload', source, '--collection', COLLECTION, '--ids', ids]);
    expect(storedObjects(cwd)).toEqual(storedObjects(once));
    expect(await storedRecords(cwd, COLLECTION)).toEqual(await storedRecords(once, COLLECTION));
    const entities = new Set(
      [...reports(cwd).values()].flatMap((r) => r.files.map((f) => f.entity)),
    );
    expect(entities).toEqual(new Set(['patient-0', 'patient-1', 'patient-2', 'patient-3']));
  });

  it('does not upload a file added after planning; a new plan does', async () => {
    const source = smallSource();
    await plan(cwd, 2, source);
    copyFileSync(join(inputs, 'mixed', 'good', 'a1.dcm'), join(source, 'many', 'late.dcm'));
    for (const shard of ['0', '1'])
      expect((await run(cwd, ['upload', '--plan', 'plan', '--shard', shard])).code).toBe(0);
    const uploaded = [...reports(cwd).values()].flatMap((r) => r.files.map((f) => f.path));
    expect(uploaded).toHaveLength(8);
    expect(uploaded.some((path) => path.endsWith('late.dcm'))).toBe(false);
    expect(storedObjects(cwd).size).toBe(8);

    removeDir(join(cwd, 'plan'));
    await plan(cwd, 2, source);
    for (const shard of ['0', '1']) await run(cwd, ['upload', '--plan', 'plan', '--shard', shard]);
    const again = [...reports(cwd).values()].flatMap((r) => r.files);
    expect(again.filter((f) => f.outcome === 'unchanged')).toHaveLength(8);
    expect(again.find((f) => f.path.endsWith('late.dcm'))?.outcome).toBe('written');
  });
});
