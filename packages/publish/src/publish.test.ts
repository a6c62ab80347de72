import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, MemoryMetadataDriver, MemoryObjectDriver } from '@som/core';
import { CollectionKeyMismatchError } from '@som/identifiers';
import type { FileReport } from './5-summarise/report';
import { publish } from './publish';

const SAMPLE = join(__dirname, '..', '..', '..', 'sample', 'dicom');
const SECRET = 'the pseudonymisation key of the publish test';

let cwd: string;
beforeEach(() => {
  cwd = mkdtempSync(join(tmpdir(), 'som-publish-'));
});
afterEach(() => rmSync(cwd, { recursive: true, force: true }));

const memoryClient = (): Client =>
  new Client({ objectStore: new MemoryObjectDriver(), metadataStore: new MemoryMetadataDriver() });

const run = { env: {}, secret: SECRET };

describe('publish', () => {
  it('opens no store and makes no key when the inputs hold no DICOM file', async () => {
    writeFileSync(join(cwd, 'notes.txt'), 'not DICOM');
    let opened = 0;
    const summary = await publish(['notes.txt', 'missing'], {
      cwd,
      env: {},
      collection: 'c',
      client: async () => {
        opened++;
        return memoryClient();
      },
    });
    expect(opened).toBe(0);
    expect(existsSync(join(cwd, 'som-data'))).toBe(false);
    expect(summary).toMatchObject({
      ok: false,
      noDicomFiles: true,
      failed: 1,
      'skipped-not-DICOM': 1,
    });
  });

  it('does nothing, and is ok, without inputs (an empty shard)', async () => {
    const summary = await publish([], { cwd, env: {}, collection: 'c', dryRun: true });
    expect(summary).toMatchObject({ ok: true, noDicomFiles: false, files: 0 });
  });

  it('stores entity fields, and refuses another key until told to accept it', async () => {
    const client = memoryClient();
    const first = await publish([SAMPLE], {
      ...run,
      cwd,
      client,
      collection: 'c',
      entityMetadata: { Site: 'Stanford' },
    });
    expect(first).toMatchObject({ ok: true, written: 7 });
    const entities = [];
    for await (const entity of client.listEntities('c')) entities.push(entity.data.Site);
    expect(entities).toEqual(['Stanford', 'Stanford', 'Stanford']);
    const other = { ...run, cwd, client, collection: 'c', secret: `${SECRET} but another` };
    const outcomes: string[] = [];
    const onFile = (entry: FileReport): number =>
      outcomes.push(`${entry.outcome}: ${entry.reason}`);
    await expect(publish([SAMPLE], { ...other, onFile })).rejects.toBeInstanceOf(
      CollectionKeyMismatchError,
    );
    // Every file gets an outcome, also when an error stops the run before it is stored.
    expect(outcomes).toEqual(
      Array(7).fill('interrupted: not started: the run stopped on an error'),
    );
    let count = 0;
    for await (const _entity of client.listEntities('c')) count++;
    expect(count).toBe(3);
    expect(await publish([SAMPLE], { ...other, newKey: true })).toMatchObject({ written: 7 });
    for await (const _entity of client.listEntities('c')) count++;
    expect(count).toBe(3 + 6);
  });
});
