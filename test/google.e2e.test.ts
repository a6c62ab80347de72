/**
 * End to end: Google Cloud Storage + Google Cloud Datastore (the production pair), each
 * against its real emulator on 127.0.0.1, composed by `createContainer` from a stores
 * configuration and used through the Client: a dataset of real DICOM files (pydicom's test
 * files) uploaded, searched by a DICOM field, downloaded byte for byte, deleted and
 * verified. Then the faults: the GCS server stopped in the middle of an upload, and the
 * Datastore server stopped between object and record writes; failures are reported with
 * their reasons, in seconds, and a rerun (or `verify --repair`) leaves everything complete.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readAll } from '@som/conformance';
import {
  entityImagesPrefix,
  sanitizeUid,
  type Client,
  type DatasetUploadResult,
  type EntityRef,
  type ObjectStoreDriver,
  type StoresConfig,
} from '@som/core';
import { TOKENS, createContainer } from '@som/core/di';
import { datastoreMetadataStoreAdapter } from '@som/datastore';
import { gcsObjectStoreAdapter } from '@som/gcs';
import {
  startDatastoreEmulator,
  startGcsEmulator,
  type DatastoreEmulator,
  type GcsEmulator,
} from '@som/testing';

const DICOM_DIR = '/usr/lib/python3/dist-packages/pydicom/data/test_files';

/** Real DICOM Part 10 files ("DICM" after the preamble) of pydicom's test data, smallest first. */
const FILES = readdirSync(DICOM_DIR)
  .filter((name) => name.endsWith('.dcm'))
  .map((name) => join(DICOM_DIR, name))
  .filter((path) => readFileSync(path).subarray(128, 132).toString('latin1') === 'DICM')
  .sort()
  .map((path, i) => ({
    path,
    uid: sanitizeUid(path.slice(DICOM_DIR.length + 1)),
    modality: ['CT', 'MR', 'US'][i % 3] as string,
  }));

/** Per-image searchable fields, as a de-identifier would give them. */
const imagesMetadata = (files: typeof FILES): Record<string, { Modality: string }> =>
  Object.fromEntries(files.map((f) => [f.uid, { Modality: f.modality }]));

let gcs: GcsEmulator;
let datastore: DatastoreEmulator;

beforeAll(async () => {
  [gcs, datastore] = await Promise.all([startGcsEmulator(), startDatastoreEmulator()]);
}, 60_000);

afterAll(async () => {
  await Promise.all([gcs?.stop(), datastore?.stop()]);
}, 30_000);

/** The stores configuration of one test: its own bucket and namespace, bounded retries. */
function storesConfig(): StoresConfig {
  const id = randomUUID().slice(0, 8);
  return {
    objectStore: {
      type: 'gcs',
      bucket: `som-e2e-${id}`,
      apiEndpoint: gcs.apiEndpoint,
      projectId: 'demo-test',
      maxRetries: 0,
      timeoutMs: 5000,
    },
    metadataStore: {
      type: 'datastore',
      projectId: datastore.projectId,
      apiEndpoint: datastore.apiEndpoint,
      namespace: `e2e-${id}`,
      timeoutMs: 5000,
      maxRetries: 1,
    },
  };
}

const opened: Client[] = [];
afterAll(async () => {
  await Promise.all(opened.map((client) => client.close()));
});

/** A Client composed from `config`, as the CLI composes it (closed after the tests). */
function clientOf(config: StoresConfig): Client {
  return track(
    createContainer(config, [gcsObjectStoreAdapter, datastoreMetadataStoreAdapter]).get(
      TOKENS.Client,
    ),
  );
}

function track(client: Client): Client {
  opened.push(client);
  return client;
}

/** Keys of the objects and uids of the records of an entity. */
async function contents(
  client: Client,
  ref: EntityRef,
): Promise<{ objects: string[]; records: string[] }> {
  const objects: string[] = [];
  for await (const object of client.objects.listAll(entityImagesPrefix(ref)))
    objects.push(object.key.slice(entityImagesPrefix(ref).length));
  const records: string[] = [];
  for await (const image of client.listImages(ref)) records.push(image.uid);
  return { objects: objects.sort(), records: records.sort() };
}

/** Every failure has a reason naming its file. */
function expectReasons(result: DatasetUploadResult): void {
  for (const failure of result.failed) {
    expect(failure.error?.message).toMatch(/\S/);
    expect(failure.error?.code).toMatch(/Unavailable|DeadlineExceeded/);
  }
}

it('has a corpus of real DICOM files', () => {
  expect(FILES.length).toBeGreaterThanOrEqual(30);
});

describe('a dataset of real DICOM files on GCS + Datastore', () => {
  it('uploads, searches by Modality, downloads the same bytes, deletes an entity and verifies clean', async () => {
    const client = clientOf(storesConfig());
    expect(String(client)).toMatch(/^storage\.google\.som-e2e-/);
    await client.createCollection({ uid: 'IRB41449', metadata: { title: 'cookie study' } });
    const files = FILES.slice(0, 30);
    const result = await client.uploadDataset({
      collection: 'IRB41449',
      uid: 'cookie-47',
      images: files.map((f) => f.path),
      imagesMetadata: imagesMetadata(files),
      metadata: { source_id: 'cookieTumorDatabase' },
      concurrency: 4,
    });
    expect(result.failed).toEqual([]);
    expect(result.counts.uploaded).toBe(files.length);

    const found = await client.search({
      collection: 'IRB41449',
      filters: [{ field: 'Modality', op: '=', value: 'MR' }],
      limit: 100,
    });
    expect(found.records.map((r) => r.uid).sort()).toEqual(
      files
        .filter((f) => f.modality === 'MR')
        .map((f) => f.uid)
        .sort(),
    );
    for (const record of found.records) {
      expect(record.data).toMatchObject({
        Modality: 'MR',
        contentType: 'application/dicom',
        collection: 'IRB41449',
        entity: 'cookie-47',
      });
    }

    for (const file of files) {
      const ref = { collection: 'IRB41449', entity: 'cookie-47', image: file.uid };
      expect((await readAll(await client.readImage(ref))).equals(readFileSync(file.path))).toBe(
        true,
      );
      expect(
        (await client.objects.head((await client.getImage(ref)).data.objectName)).contentType,
      ).toBe('application/dicom');
    }

    const again = await client.uploadDataset({
      collection: 'IRB41449',
      uid: 'cookie-47',
      images: files.map((f) => f.path),
      imagesMetadata: imagesMetadata(files),
    });
    expect(again.counts).toEqual({ uploaded: 0, unchanged: files.length, recorded: 0, failed: 0 });

    await client.uploadDataset({
      collection: 'IRB41449',
      uid: 'cookie-48',
      images: FILES.slice(30, 33).map((f) => f.path),
    });
    await client.deleteEntity({ collection: 'IRB41449', entity: 'cookie-48' });
    expect(await contents(client, { collection: 'IRB41449', entity: 'cookie-48' })).toEqual({
      objects: [],
      records: [],
    });
    await expect(
      client.getEntity({ collection: 'IRB41449', entity: 'cookie-48' }),
    ).rejects.toMatchObject({ code: 'NotFound' });

    expect(await client.verify({ deep: true })).toEqual({ images: files.length, problems: [] });
  }, 120_000);
});

/**
 * A container for `config` whose object store runs `fault` (awaited) right after its
 * `count`th object is stored: the fault lands between uploads in flight, and between that
 * object and its record.
 */
function containerFaultingAfterPuts(
  config: StoresConfig,
  count: number,
  fault: () => Promise<void>,
): ReturnType<typeof createContainer> {
  const container = createContainer(config, [gcsObjectStoreAdapter, datastoreMetadataStoreAdapter]);
  const driver = container.get<ObjectStoreDriver>(TOKENS.ObjectStoreDriver);
  const put = driver.put.bind(driver);
  let puts = 0;
  driver.put = async (...args) => {
    const attributes = await put(...args);
    if (++puts === count) await fault();
    return attributes;
  };
  return container;
}

describe('faults', () => {
  const files = FILES.slice(0, 16);
  const down = new Set<GcsEmulator | DatastoreEmulator>();
  const crash = (server: GcsEmulator | DatastoreEmulator) => async (): Promise<void> => {
    down.add(server);
    await server.stop();
  };
  const restart = async (server: GcsEmulator | DatastoreEmulator): Promise<void> => {
    await server.restart();
    down.delete(server);
  };
  afterEach(async () => {
    for (const server of down) await restart(server);
  }, 60_000);

  const ref = { collection: 'IRB-FAULT', entity: 'SUID-1' };
  const upload = (client: Client): Promise<DatasetUploadResult> =>
    client.uploadDataset({
      collection: ref.collection,
      uid: ref.entity,
      images: files.map((f) => f.path),
      imagesMetadata: imagesMetadata(files),
      concurrency: 2,
    });

  it('reports the images a GCS outage failed, in seconds, and a rerun after restart completes them, each once', async () => {
    const config = storesConfig();
    const started = Date.now();
    const first = await upload(
      track(containerFaultingAfterPuts(config, 4, crash(gcs)).get(TOKENS.Client)),
    );
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(first.counts.failed).toBeGreaterThanOrEqual(files.length - 5);
    expect(first.counts.uploaded + first.counts.failed).toBe(files.length);
    expectReasons(first);

    await restart(gcs); // the emulator keeps objects in memory: the rerun uploads them again
    const rerun = await upload(clientOf(config));
    expect(rerun.failed).toEqual([]);
    const fresh = clientOf(config);
    const uids = files.map((f) => f.uid).sort();
    expect(await contents(fresh, ref)).toEqual({ objects: uids, records: uids });
    expect(await fresh.verify()).toEqual({ images: files.length, problems: [] });
  }, 120_000);

  it('reports the images a Datastore outage between object and record writes failed; verify --repair and a rerun fix it', async () => {
    const config = storesConfig();
    const started = Date.now();
    const first = await upload(
      track(containerFaultingAfterPuts(config, 3, crash(datastore)).get(TOKENS.Client)),
    );
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(first.counts.failed).toBe(files.length);
    expectReasons(first);

    await restart(datastore); // in memory: every record is gone, the objects stayed
    const repaired = await clientOf(config).verify({ repair: true });
    expect(repaired.problems.length).toBeGreaterThanOrEqual(3);
    expect(repaired.problems.every((p) => p.repaired)).toBe(true);
    expect(new Set(repaired.problems.map((p) => p.type))).toEqual(
      new Set(['missing-parent', 'orphan-object']),
    );
    expect(await clientOf(config).verify()).toMatchObject({ problems: [] });

    const rerun = await upload(clientOf(config));
    expect(rerun.failed).toEqual([]);
    const fresh = clientOf(config);
    const uids = files.map((f) => f.uid).sort();
    expect(await contents(fresh, ref)).toEqual({ objects: uids, records: uids });
    const mr = await fresh.search({
      collection: ref.collection,
      filters: [{ field: 'Modality', op: '=', value: 'MR' }],
    });
    expect(mr.records.map((r) => r.uid).sort()).toEqual(
      files
        .filter((f) => f.modality === 'MR')
        .map((f) => f.uid)
        .sort(),
    );
    expect(await fresh.verify()).toEqual({ images: files.length, problems: [] });
  }, 120_000);
});
