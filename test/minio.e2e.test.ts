/**
 * End to end: the MinIO/S3 adapter against a real S3 server (Swift s3api on 127.0.0.1)
 * with the SQLite metadata store, composed through `createContainer` and used through the Client:
 * a dataset of real DICOM files (pydicom's test files) uploaded, searched, downloaded and
 * verified; then the S3 server killed in the middle of an upload and restarted: the
 * failures are reported with their reasons, a rerun completes, nothing is duplicated.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  entityImagesPrefix,
  sanitizeUid,
  type Client,
  type ImageInput,
  type StoresConfig,
} from '@som/core';
import { TOKENS, createContainer } from '@som/core/di';
import { readAll } from '@som/conformance';
import { MIN_PART_SIZE, minioObjectStoreAdapter } from '@som/minio';
import { sqliteMetadataStoreAdapter } from '@som/sqlite';
import { startSwiftS3, type SwiftS3Server } from '@som/testing';

// A real Python server on a shared 2-core machine: a single request may take a while.
jest.setTimeout(30_000);

const DICOM_DIR = '/usr/lib/python3/dist-packages/pydicom/data/test_files';
const COLLECTION = 'irb-2024-001';

/** True for a DICOM Part 10 file: "DICM" after the 128-byte preamble. */
function isPart10(path: string): boolean {
  return readFileSync(path).subarray(128, 132).toString('latin1') === 'DICM';
}

/** Real DICOM files of pydicom's test data, with the Modality their name tells. */
const FILES = readdirSync(DICOM_DIR)
  .filter((name) =>
    /^(CT|MR)_small.*\.dcm$|^(liver|image_dfl|rtplan|rtstruct|rtdose)[\w.-]*\.dcm$/.test(name),
  )
  .filter((name) => isPart10(join(DICOM_DIR, name)))
  .sort()
  .map((name) => ({
    path: join(DICOM_DIR, name),
    uid: sanitizeUid(name),
    modality: name.startsWith('CT') ? 'CT' : name.startsWith('MR') ? 'MR' : 'OT',
  }));

let server: SwiftS3Server;
let client: Client;
let recordsDir: string;

beforeAll(async () => {
  server = await startSwiftS3();
  recordsDir = mkdtempSync(join(tmpdir(), 'som-minio-e2e-'));
  const config: StoresConfig = {
    objectStore: {
      type: 'minio',
      endPoint: server.endpoint,
      region: server.region,
      accessKey: server.accessKey,
      secretKey: server.secretKey,
      bucket: 'som-e2e',
      createBucket: true,
      partSize: MIN_PART_SIZE,
      maxRetries: 0, // a dead server fails at once: the fault test stays bounded
      timeoutMs: 5000,
    },
    metadataStore: { type: 'sqlite', path: join(recordsDir, 'som.db') },
  };
  client = createContainer(config, [minioObjectStoreAdapter, sqliteMetadataStoreAdapter]).get(
    TOKENS.Client,
  );
}, 60_000);

afterAll(async () => {
  await client?.close();
  await server?.stop();
  if (recordsDir) rmSync(recordsDir, { recursive: true, force: true });
}, 30_000);

it('has a corpus of real DICOM files of several modalities', () => {
  expect(FILES.length).toBeGreaterThanOrEqual(10);
  expect(new Set(FILES.map((f) => f.modality))).toEqual(new Set(['CT', 'MR', 'OT']));
});

describe('a dataset of real DICOM files', () => {
  const entity = { collection: COLLECTION, entity: 'SUID-0001' };

  it('uploads, searches, downloads the same bytes and verifies clean', async () => {
    const imagesMetadata = Object.fromEntries(FILES.map((f) => [f.uid, { Modality: f.modality }]));
    const result = await client.uploadDataset({
      collection: COLLECTION,
      uid: entity.entity,
      images: FILES.map((f) => f.path),
      imagesMetadata,
      metadata: { Sex: 'O' },
    });
    expect(result.failed).toEqual([]);
    expect(result.counts.uploaded).toBe(FILES.length);

    const ct = await client.search({
      collection: COLLECTION,
      filters: [{ field: 'Modality', op: '=', value: 'CT' }],
    });
    expect(ct.records.map((r) => r.uid).sort()).toEqual(
      FILES.filter((f) => f.modality === 'CT').map((f) => f.uid),
    );

    for (const file of FILES) {
      const ref = { ...entity, image: file.uid };
      const record = await client.getImage(ref);
      expect(record.data).toMatchObject({
        contentType: 'application/dicom',
        size: readFileSync(file.path).length,
        Modality: file.modality,
      });
      expect((await readAll(await client.readImage(ref))).equals(readFileSync(file.path))).toBe(
        true,
      );
      expect((await client.objects.head(record.data.objectName)).md5).toBe(record.data.md5);
    }
    expect(await client.verify({ deep: true })).toEqual({ images: FILES.length, problems: [] });
  }, 120_000);

  it('finds nothing to do when the same dataset is uploaded again', async () => {
    const result = await client.uploadDataset({
      collection: COLLECTION,
      uid: entity.entity,
      images: FILES.map((f) => f.path),
    });
    expect(result.counts).toEqual({ uploaded: 0, unchanged: 0, recorded: FILES.length, failed: 0 });
  }, 60_000);
});

describe('the S3 server dies in the middle of an upload', () => {
  const entity = { collection: COLLECTION, entity: 'SUID-0002' };
  // Each file several times under its own uid: enough images to be mid-upload at the kill.
  const images: ImageInput[] = [0, 1, 2, 3, 4].flatMap((copy) =>
    FILES.map((f) => ({ path: f.path, uid: `${copy}-${f.uid}` })),
  );

  /** The images, with the server killed once the tenth has been taken (at least six are done by then). */
  async function* killedAfterTen(): AsyncGenerator<ImageInput> {
    for (const [index, image] of images.entries()) {
      if (index === 10) await server.halt();
      yield image;
    }
  }

  it('reports the failed images with their reasons; a rerun after the restart completes with nothing duplicated', async () => {
    const started = Date.now();
    const first = await client.uploadDataset({
      ...entity,
      uid: entity.entity,
      images: killedAfterTen(),
      concurrency: 4,
    });
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(first.counts.uploaded).toBeGreaterThanOrEqual(6);
    expect(first.counts.failed).toBeGreaterThanOrEqual(images.length - 10);
    expect(first.counts.uploaded + first.counts.failed).toBe(images.length);
    for (const failure of first.failed) {
      expect(failure.error?.code).toMatch(/^(Unavailable|DeadlineExceeded)$/);
      expect(failure.error?.message).toContain(failure.image.image);
      expect(failure.source).toContain(DICOM_DIR);
    }

    await server.restart();
    const second = await client.uploadDataset({ ...entity, uid: entity.entity, images });
    expect(second.failed).toEqual([]);
    expect(second.counts.unchanged).toBe(first.counts.uploaded);
    expect(second.counts.uploaded + second.counts.recorded).toBe(first.counts.failed);

    const keys: string[] = [];
    for await (const object of client.objects.listAll(entityImagesPrefix(entity)))
      keys.push(object.key);
    expect(keys).toHaveLength(images.length);
    expect(new Set(keys).size).toBe(images.length);
    const records: string[] = [];
    for await (const image of client.listImages(entity)) records.push(image.uid);
    expect(records.sort()).toEqual(images.map((i) => i.uid as string).sort());
    expect((await client.verify()).problems).toEqual([]);
  }, 120_000);
});
