/**
 * The sharded upload through the `som` command against real remote stores: objects in an
 * S3 server (Swift with s3api), records in the Datastore emulator. Processes given each
 * engine's task variables (Cloud Run, Kubernetes, Cloud Batch, AWS Batch) leave the
 * dataset a single `som upload` leaves; a shard killed mid-run and run again, or run twice
 * at once, changes nothing; a shard whose store goes down mid-run exits with the retry
 * code, and its rerun completes the dataset.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  startDatastoreEmulator,
  startSwiftS3,
  type DatastoreEmulator,
  type SwiftS3Server,
} from '@som/testing';
import { objectsInStore, storedRecords } from './fixtures/dataset';
import { makeFixtures, removeDir, som, startSom, tempDir, type SomResult } from './fixtures/som';

jest.setTimeout(180_000);

const SECRET = 'the pseudonymisation key of the scale-out tests on remote stores';
const COLLECTION = 'IRB-scale-out-remote';

let swift: SwiftS3Server;
let datastore: DatastoreEmulator;
let inputs: string;
let single: string;
const dirs: string[] = [];

/**
 * A new working directory whose `som.config.json` names the S3 server (a bucket of its
 * own) and the Datastore emulator (a namespace of its own).
 */
function workDir(name: string): string {
  const dir = tempDir(`scale-out-${name}`);
  dirs.push(dir);
  const config = {
    objectStore: {
      type: 'minio',
      endPoint: swift.host,
      port: swift.port,
      useSSL: false,
      region: swift.region,
      bucket: `som-${name}`,
      createBucket: true,
      accessKey: swift.accessKey,
      secretKey: swift.secretKey,
      // A server that is down fails each request at once: the store-down test stays short.
      maxRetries: 0,
      timeoutMs: 10_000,
    },
    metadataStore: {
      type: 'datastore',
      projectId: datastore.projectId,
      namespace: name,
      apiEndpoint: datastore.apiEndpoint,
    },
  };
  writeFileSync(join(dir, 'som.config.json'), JSON.stringify(config));
  return dir;
}

/** `som args...` with the test's key in `cwd`. */
const run = (cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<SomResult> =>
  som(args, { cwd, env: { SOM_SECRET: SECRET, ...env } });

const plan = async (cwd: string, shards: number): Promise<void> => {
  const planned = await run(cwd, [
    'plan',
    inputs,
    '--collection',
    COLLECTION,
    '--shards',
    String(shards),
    '--out',
    'plan',
  ]);
  expect({ code: planned.code, stdout: planned.stdout }).toMatchObject({
    code: 0,
    stdout: expect.stringMatching(/planned 32 files of 8 patients/),
  });
};

const upload = (cwd: string, env: NodeJS.ProcessEnv, shard?: number): Promise<SomResult> =>
  run(
    cwd,
    ['upload', '--plan', 'plan', ...(shard !== undefined ? ['--shard', `${shard}`] : [])],
    env,
  );

/** Expect a run to have exited with `code`, showing its stderr when it did not. */
function expectExit(result: SomResult, code: number): void {
  expect({ code: result.code, stderr: result.stderr }).toMatchObject({ code });
}

interface ShardReport {
  attempt: number;
  files: { path: string; outcome: string; entity?: string; code?: string }[];
}

const report = (cwd: string, shard: number): ShardReport =>
  JSON.parse(readFileSync(join(cwd, 'plan', 'reports', `${shard}.json`), 'utf8'));

/** Expect the stores of `cwd` to hold what the single upload stored: objects, bytes, records. */
async function expectSameDataset(cwd: string): Promise<void> {
  const [objects, expected] = await Promise.all([objectsInStore(cwd), objectsInStore(single)]);
  expect([...objects.keys()].sort()).toEqual([...expected.keys()].sort());
  for (const [key, bytes] of expected) expect(objects.get(key)?.equals(bytes)).toBe(true);
  expect(await storedRecords(cwd, COLLECTION)).toEqual(await storedRecords(single, COLLECTION));
}

/** Start a shard that uploads one file at a time; resolves once it has written `files`. */
async function startShardAndWait(
  cwd: string,
  shard: number,
  files: number,
): Promise<ReturnType<typeof startSom>> {
  const started = startSom(['upload', '--plan', 'plan', '--shard', String(shard)], {
    cwd,
    env: { SOM_SECRET: SECRET, SOM_CONCURRENCY: '1' },
  });
  await new Promise<void>((resolve, reject) => {
    let written = 0;
    started.child.stdout?.on('data', (chunk: Buffer) => {
      written += (chunk.toString().match(/^written/gm) ?? []).length;
      if (written >= files) resolve();
    });
    void started.done.then((result) =>
      reject(new Error(`the shard ended before writing ${files} files: ${result.stderr}`)),
    );
  });
  return started;
}

beforeAll(async () => {
  [swift, datastore] = await Promise.all([startSwiftS3(), startDatastoreEmulator()]);
  inputs = tempDir('scale-out-remote-inputs');
  // Eight patients of 4 files each: four of many small files, four of two studies.
  makeFixtures('many', join(inputs, 'many'), 16);
  makeFixtures('corpus', join(inputs, 'corpus'), 4, 2);
  single = workDir('single');
  expectExit(await run(single, ['upload', inputs, '--collection', COLLECTION]), 0);
}, 180_000);

afterAll(async () => {
  await Promise.all([swift?.stop(), datastore?.stop()]);
  [inputs, ...dirs].forEach((dir) => dir !== undefined && removeDir(dir));
});

it("runs four shards at once under four engines' variables as one upload would", async () => {
  const cwd = workDir('engines');
  await plan(cwd, 4);
  const engines: NodeJS.ProcessEnv[] = [
    { CLOUD_RUN_TASK_INDEX: '0', CLOUD_RUN_TASK_COUNT: '4' },
    { JOB_COMPLETION_INDEX: '1' },
    { BATCH_TASK_INDEX: '2', BATCH_TASK_COUNT: '4' },
    { AWS_BATCH_JOB_ARRAY_INDEX: '3' },
  ];
  const results = await Promise.all(engines.map((env) => upload(cwd, env)));
  results.forEach((result) => expectExit(result, 0));
  await expectSameDataset(cwd);

  // Each entity was written by one shard only.
  const shardOfEntity = new Map<string, number>();
  for (const index of [0, 1, 2, 3])
    for (const file of report(cwd, index).files) {
      expect(file.outcome).toBe('written');
      expect(shardOfEntity.get(file.entity as string) ?? index).toBe(index);
      shardOfEntity.set(file.entity as string, index);
    }
  expect(shardOfEntity.size).toBe(8);

  const finalize = await run(cwd, ['finalize', '--plan', 'plan', '--json']);
  expectExit(finalize, 0);
  expect(JSON.parse(finalize.stdout)).toMatchObject({
    missing: [],
    failed: [],
    entities: 8,
    verify: { images: 32, remaining: 0 },
    ok: true,
  });
});

it('a shard killed mid-run and run again, and a shard run twice at once, leave the same dataset', async () => {
  const cwd = workDir('kill');
  await plan(cwd, 2);
  const killed = await startShardAndWait(cwd, 0, 3);
  killed.child.kill('SIGKILL');
  expect((await killed.done).signal).toBe('SIGKILL');

  const again = await upload(cwd, {}, 0);
  expectExit(again, 0);
  expect(report(cwd, 0).attempt).toBe(2);
  const outcomes = report(cwd, 0).files.map((file) => file.outcome);
  expect(outcomes).toContain('unchanged'); // what the killed run stored is not stored again
  const twice = await Promise.all([upload(cwd, {}, 1), upload(cwd, {}, 1)]);
  twice.forEach((result) => expectExit(result, 0));
  expect([1, 2]).toContain(report(cwd, 1).attempt);

  await expectSameDataset(cwd);
  const finalize = await run(cwd, ['finalize', '--plan', 'plan', '--json']);
  expect(JSON.parse(finalize.stdout)).toMatchObject({ missing: [], ok: true });
});

it('a shard whose S3 server goes down mid-run exits 75 to be retried; its rerun completes the dataset', async () => {
  const cwd = workDir('down');
  await plan(cwd, 1);
  const shard = await startShardAndWait(cwd, 0, 2);
  await swift.halt();
  let result: SomResult;
  try {
    result = await shard.done;
  } finally {
    await swift.restart();
  }
  expectExit(result, 75);
  expect(result.stderr).toMatch(/files failed for reasons a retry may fix/);
  const failed = report(cwd, 0).files.filter((file) => file.outcome === 'failed');
  expect(failed.length).toBeGreaterThan(0);
  expect(new Set(failed.map((file) => file.code))).toEqual(new Set(['Unavailable']));
  expect(result.stderr).not.toContain(swift.secretKey);

  const rerun = await upload(cwd, {}, 0);
  expectExit(rerun, 0);
  await expectSameDataset(cwd);
});
