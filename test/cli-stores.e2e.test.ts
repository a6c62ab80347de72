/**
 * The real `som` binary against real servers: SQLite records with objects in an S3 server
 * (OpenStack Swift with s3api), and the Google emulators (Datastore + Cloud Storage).
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  startDatastoreEmulator,
  startGcsEmulator,
  startSwiftS3,
  type DatastoreEmulator,
  type GcsEmulator,
  type SwiftS3Server,
} from '@som/testing';
import {
  SAMPLE,
  json,
  removeDir,
  som,
  tempDir,
  type JsonReport,
  type SomResult,
} from './fixtures/som';

jest.setTimeout(180_000);

interface Record {
  uid: string;
  [field: string]: unknown;
}

/** Upload, rerun, search, get and verify against the stores of `cwd/som.config.json`. */
async function roundTrip(cwd: string, secrets: readonly string[]): Promise<void> {
  const outputs: SomResult[] = [];
  const run = async (args: string[]): Promise<SomResult> => {
    const result = await som(args, { cwd });
    outputs.push(result);
    return result;
  };
  const first = await run(['upload', SAMPLE, '--collection', 'demo', '--json']);
  expect(first.code).toBe(0);
  expect(json<JsonReport>(first).summary.counts).toMatchObject({ written: 7 });
  const again = await run(['upload', SAMPLE, '--collection', 'demo', '--json']);
  expect(json<JsonReport>(again).summary.counts).toMatchObject({ written: 0, unchanged: 7 });
  expect(json<Record[]>(await run(['search', 'Modality=CT', '--json']))).toHaveLength(4);
  expect(
    json<Record[]>(await run(['search', 'StudyDate>=19000101', '--collection', 'demo', '--json'])),
  ).toHaveLength(7);
  const [mixed] = json<Record[]>(
    await run(['search', '--kind', 'entity', 'Modalities=CT,MR', '--json']),
  );
  expect(mixed).toMatchObject({ NumberOfImages: 2, NumberOfStudies: 2 });
  const images = json<Record[]>(await run(['ls', 'demo', String(mixed?.uid), '--json']));
  const got = await run(['get', 'demo', String(mixed?.uid), '--out', join(cwd, 'got')]);
  expect(got.code).toBe(0);
  for (const image of images) {
    const bytes = readFileSync(join(cwd, 'got', String(mixed?.uid), `${image.uid}.dcm`));
    expect(createHash('md5').update(bytes).digest('hex')).toBe(image.md5);
  }
  const verify = await run(['verify', '--deep']);
  expect(verify.code).toBe(0);
  expect(verify.stderr).toContain('verified 7 images: no problems');
  const printed = outputs.map((o) => o.stdout + o.stderr).join('\n');
  for (const secret of secrets) expect(printed).not.toContain(secret);
}

describe('som with SQLite and an S3 server (Swift s3api)', () => {
  let swift: SwiftS3Server;
  let cwd: string;
  beforeAll(async () => {
    swift = await startSwiftS3();
    cwd = tempDir('s3');
    const objectStore = {
      type: 'minio',
      endPoint: swift.host,
      port: swift.port,
      useSSL: false,
      region: swift.region,
      bucket: 'som-e2e',
      createBucket: true,
      accessKey: swift.accessKey,
      secretKey: swift.secretKey,
    };
    writeFileSync(
      join(cwd, 'som.config.json'),
      JSON.stringify({ objectStore, metadataStore: { type: 'sqlite', path: 'records.db' } }),
    );
  });
  afterAll(async () => {
    await swift?.stop();
    removeDir(cwd);
  });

  it('uploads, skips unchanged files, searches, gets and verifies', async () => {
    await roundTrip(cwd, [swift.secretKey]);
  });

  it('says in one message that the S3 server is down', async () => {
    await swift.halt();
    try {
      const result = await som(['ls', 'demo'], { cwd });
      expect(result.code).toBe(1);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toMatch(/^som: error: cannot use the object store/);
      expect(result.stderr).not.toContain(swift.secretKey);
    } finally {
      await swift.restart();
    }
  });
});

describe('som with the Google emulators (Datastore + Cloud Storage)', () => {
  let datastore: DatastoreEmulator;
  let gcs: GcsEmulator;
  let cwd: string;
  beforeAll(async () => {
    [datastore, gcs] = await Promise.all([startDatastoreEmulator(), startGcsEmulator()]);
    cwd = tempDir('google');
    writeFileSync(
      join(cwd, 'som.config.json'),
      JSON.stringify({
        objectStore: {
          type: 'gcs',
          bucket: 'som-e2e',
          projectId: datastore.projectId,
          apiEndpoint: gcs.apiEndpoint,
        },
        metadataStore: {
          type: 'datastore',
          projectId: datastore.projectId,
          namespace: 'e2e',
          apiEndpoint: datastore.apiEndpoint,
        },
      }),
    );
  });
  afterAll(async () => {
    await Promise.all([datastore?.stop(), gcs?.stop()]);
    removeDir(cwd);
  });

  it('uploads, skips unchanged files, searches, gets and verifies', async () => {
    await roundTrip(cwd, []);
  });
});
