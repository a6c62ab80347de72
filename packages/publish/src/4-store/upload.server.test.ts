import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  Client,
  MemoryMetadataDriver,
  MemoryObjectDriver,
  SomError,
  type Md5Need,
  type ObjectAttributes,
  type PutOptions,
} from '@som/core';
import { SecretValue } from '../config/secret-value';
import type { SomConfig } from '../config/types';
import type { Deidentifier } from '../3-deidentify/deid-pool';
import { Report, type FileReport, type Progress } from '../5-summarise/report';
import { loadSettings, scanRun, startRun } from '../prepare';
import { uploadFiles } from './upload';

const SAMPLE = join(__dirname, '..', '..', '..', '..', 'sample', 'dicom');
const PYDICOM = '/usr/lib/python3/dist-packages/pydicom/data/test_files';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'som-upload-'));
  for (const patient of ['patient-a', 'patient-b', 'patient-c']) {
    mkdirSync(join(dir, 'in', patient), { recursive: true });
    for (const name of ['IM0001.dcm', 'IM0002.dcm'])
      copyFileSync(join(SAMPLE, patient, name), join(dir, 'in', patient, name));
  }
  copyFileSync(
    join(SAMPLE, 'patient-a', 'IM0001.dcm'),
    join(dir, 'in', 'patient-a', 'copy-of-IM0001.dcm'),
  );
  writeFileSync(join(dir, 'in', 'notes.txt'), 'not DICOM');
  writeFileSync(
    join(dir, 'in', 'truncated.dcm'),
    readFileSync(join(SAMPLE, 'patient-b', 'IM0001.dcm')).subarray(0, 700),
  );
  copyFileSync(join(PYDICOM, 'ExplVR_LitEndNoMeta.dcm'), join(dir, 'in', 'no-patient-id.dcm'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const noProgress: Progress = { advance: () => undefined };

function config(): SomConfig {
  return {
    objectStore: { type: 'memory' },
    metadataStore: { type: 'memory' },
    dataDir: join(dir, 'som-data'),
    keyFile: join(dir, 'som-data', 'pseudonym.key'),
    secret: new SecretValue('a test key of the upload pipeline'),
    concurrency: 3,
  };
}

/** A memory object store that refuses writes under `refused` (a prefix). */
class RefusingObjectDriver extends MemoryObjectDriver {
  refused = '';
  override async put(key: string, body: Readable, options: PutOptions): Promise<ObjectAttributes> {
    if (this.refused !== '' && key.startsWith(this.refused))
      throw new SomError('PermissionDenied', 'writes refused by policy');
    return super.put(key, body, options);
  }
}

/** A memory object store that remembers the MD5 sent with each write (a remote one: wants it). */
class RecordingObjectDriver extends MemoryObjectDriver {
  readonly sent: [string, string | undefined][] = [];
  constructor(md5FromCaller: boolean) {
    super();
    this.capabilities.md5FromCaller = md5FromCaller;
  }
  override async put(key: string, body: Readable, options: PutOptions): Promise<ObjectAttributes> {
    this.sent.push([key, options.md5]);
    return super.put(key, body, options);
  }
}

/**
 * The first pass over `in` and a de-identifier of its files (the pixel screening off: the
 * tests are about storing).
 */
async function prepared(report: Report, signal: AbortSignal) {
  const loaded = await loadSettings(config(), { pixelFilter: 'none' }, () => undefined);
  const scan = await scanRun(['in'], config(), report, { cwd: dir, signal });
  const options = { env: {}, createKey: true, mainThreadBusy: true };
  const { deidentifier } = await startRun(scan, loaded, config(), () => undefined, options);
  return { scan, deidentifier };
}

/** Options of {@link run}. */
interface RunOptions {
  signal?: AbortSignal;
  /** Sees whether each file was to be hashed beside its de-identification. */
  hashed?: (path: string, md5: Md5Need) => void;
  /** The bytes of files held in memory at once. */
  memoryBudget?: number;
}

async function run(client: Client | undefined, options: RunOptions = {}) {
  const { signal = new AbortController().signal, memoryBudget } = options;
  const entries: FileReport[] = [];
  const report = new Report([{ add: (e) => entries.push(e), finish: async () => undefined }]);
  const { scan, deidentifier } = await prepared(report, signal);
  let deidentifying = 0;
  let mostDeidentifying = 0;
  const watched: Deidentifier = {
    deidentify: async (file, md5 = 'unneeded') => {
      options.hashed?.(file.path, md5);
      mostDeidentifying = Math.max(mostDeidentifying, ++deidentifying);
      try {
        return await deidentifier.deidentify(file, md5);
      } finally {
        deidentifying--;
      }
    },
    deidentifyInto: (file, target) => deidentifier.deidentifyInto(file, target),
    entityUid: (file) => deidentifier.entityUid(file),
    unmatchedSelectors: () => deidentifier.unmatchedSelectors(),
    close: () => deidentifier.close(),
  };
  await uploadFiles(
    client,
    scan.files,
    watched,
    {
      collection: 'c1',
      concurrency: 2,
      metadata: { Site: 'test' },
      signal,
      ...(memoryBudget !== undefined ? { memoryBudget } : {}),
    },
    report,
    noProgress,
  );
  await deidentifier.close();
  const byPath = Object.fromEntries(entries.map((e) => [e.path, e]));
  return { entries, byPath, mostDeidentifying, summary: await report.finish(signal.aborted) };
}

describe('uploadFiles', () => {
  it('uploads one entity per patient, reports exactly the bad files, and a rerun changes nothing', async () => {
    const client = new Client({
      objectStore: new MemoryObjectDriver(),
      metadataStore: new MemoryMetadataDriver(),
    });
    const hashed = new Map<string, Md5Need>();
    const first = await run(client, { hashed: (path, hash) => hashed.set(path, hash) });
    expect(first.summary.counts).toMatchObject({ written: 6, failed: 3, 'skipped-not-DICOM': 1 });
    // New entities: nothing hashed beside the de-identification (the store hashes as it writes).
    expect(new Set(hashed.values())).toEqual(new Set(['unneeded']));
    expect(first.byPath['in/notes.txt']?.outcome).toBe('skipped-not-DICOM');
    expect(first.byPath['in/truncated.dcm']).toMatchObject({ outcome: 'failed' });
    expect(first.byPath['in/no-patient-id.dcm']).toMatchObject({
      outcome: 'failed',
      reason: 'no PatientID, cannot tell which alias applies',
    });
    expect(first.byPath['in/patient-a/copy-of-IM0001.dcm']).toMatchObject({
      outcome: 'failed',
      reason: 'same patient and SOP Instance UID as in/patient-a/IM0001.dcm: not uploaded twice',
    });
    const entities = [];
    for await (const entity of client.listEntities('c1')) entities.push(entity);
    expect(entities).toHaveLength(3);
    const c = entities.find((e) => e.data.Modalities === 'CT,MR');
    expect(c?.data).toMatchObject({ NumberOfImages: 2, NumberOfStudies: 2, NumberOfSeries: 2 });
    expect(c?.data.StudyDates).toMatch(/^\d{8},\d{8}$/);
    expect(String(c?.data.StudyDates)).not.toContain('20100120');
    const written = first.entries.filter((e) => e.outcome === 'written');
    const image = await client.getImage({
      collection: 'c1',
      entity: written[0]?.entity as string,
      image: written[0]?.image as string,
    });
    expect(image.data).toMatchObject({ Site: 'test', contentType: 'application/dicom', Rows: 64 });
    hashed.clear();
    const again = await run(client, { hashed: (path, hash) => hashed.set(path, hash) });
    // Stored entities: hashed beside the de-identification, to compare with the objects.
    expect(hashed.get('in/patient-c/IM0002.dcm')).toBe('useful');
    expect(again.summary.counts).toMatchObject({
      written: 0,
      unchanged: 6,
      failed: 3,
      'skipped-not-DICOM': 1,
    });
    expect(
      again.entries
        .filter((e) => e.outcome === 'unchanged')
        .map((e) => [e.path, e.entity, e.image])
        .sort(),
    ).toEqual(written.map((e) => [e.path, e.entity, e.image]).sort());
  });

  it("sends each file's MD5 along only to a store that wants it (a remote one), and the store checks it", async () => {
    const sent = async (md5FromCaller: boolean): Promise<(string | undefined)[]> => {
      const objects = new RecordingObjectDriver(md5FromCaller);
      const client = new Client({
        objectStore: objects,
        metadataStore: new MemoryMetadataDriver(),
      });
      const { summary } = await run(client);
      expect(summary.counts).toMatchObject({ written: 6 });
      for (const [key, md5] of objects.sent) {
        const stored = await objects.head(key);
        if (md5 !== undefined) expect(md5).toBe(stored.md5);
      }
      return objects.sent.map(([, md5]) => md5);
    };
    const remote = await sent(true);
    expect(remote).toHaveLength(6);
    expect(remote.every((md5) => /^[0-9a-f]{32}$/.test(md5 ?? ''))).toBe(true);
    expect(await sent(false)).toEqual(Array(6).fill(undefined)); // the store hashes what it writes
  });

  it('goes on when the store refuses the writes of one patient, naming the reason', async () => {
    const objects = new RefusingObjectDriver();
    const client = new Client({ objectStore: objects, metadataStore: new MemoryMetadataDriver() });
    const dry = await run(undefined);
    const refusedEntity = dry.byPath['in/patient-b/IM0001.dcm']?.entity as string;
    objects.refused = `Collection/c1/Entity/${refusedEntity}/`;
    const { byPath, summary } = await run(client);
    expect(summary.counts).toMatchObject({ written: 4, failed: 5 });
    expect(byPath['in/patient-b/IM0001.dcm']).toMatchObject({
      outcome: 'failed',
      reason: expect.stringContaining('writes refused by policy'),
      code: 'PermissionDenied',
    });
    expect(byPath['in/patient-b/IM0002.dcm']).toMatchObject({
      outcome: 'failed',
      entity: refusedEntity,
    });
  });

  it('holds one file at a time when the memory budget is smaller than a file, and never stalls', async () => {
    const client = new Client({
      objectStore: new MemoryObjectDriver(),
      metadataStore: new MemoryMetadataDriver(),
    });
    // Entities with several files: a file's bytes leave the budget once its object is stored,
    // not once its record is written with a batch (which waits for the next files).
    const tight = await run(client, { memoryBudget: 1 });
    expect(tight.summary.counts).toMatchObject({ written: 6, failed: 3 });
    expect(tight.mostDeidentifying).toBe(1);
    const roomy = await run(
      new Client({
        objectStore: new MemoryObjectDriver(),
        metadataStore: new MemoryMetadataDriver(),
      }),
    );
    expect(roomy.mostDeidentifying).toBeGreaterThan(1);
  });

  it('dry runs de-identify everything and store nothing', async () => {
    const { byPath, summary } = await run(undefined);
    expect(summary.counts).toMatchObject({ 'would-write': 6, failed: 3 });
    expect(byPath['in/patient-c/IM0002.dcm']).toMatchObject({
      outcome: 'would-write',
      image: expect.stringMatching(/^2\.25\.\d+$/),
    });
  });

  it('stops starting files when interrupted and reports the rest', async () => {
    const controller = new AbortController();
    const client = new Client({
      objectStore: new MemoryObjectDriver(),
      metadataStore: new MemoryMetadataDriver(),
    });
    const entries: FileReport[] = [];
    const stopAtFirstWrite = (e: FileReport): void => {
      entries.push(e);
      if (e.outcome === 'written') controller.abort();
    };
    const report = new Report([{ add: stopAtFirstWrite, finish: async () => undefined }]);
    const { scan, deidentifier } = await prepared(report, controller.signal);
    await uploadFiles(
      client,
      scan.files,
      deidentifier,
      { collection: 'c1', concurrency: 1, metadata: {}, signal: controller.signal },
      report,
      noProgress,
    );
    const counts = (await report.finish(true)).counts;
    expect(counts.written).toBeGreaterThan(0);
    expect(counts.written).toBeLessThan(6);
    expect(counts.interrupted).toBeGreaterThan(0);
    expect(counts.written + counts.interrupted + counts.failed + counts['skipped-not-DICOM']).toBe(
      10,
    );
    expect(
      entries
        .filter((e) => e.outcome === 'interrupted')
        .every((e) => e.reason === 'not started: the run was interrupted'),
    ).toBe(true);
  });
});
