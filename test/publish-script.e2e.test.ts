/**
 * The smallest program (examples/publish-folder.ts: openClient + publish) and
 * `som upload` give the same dataset: the same object bytes, the same records with the
 * same entity aggregates, and the same repairs by `verify({repair})` and `som verify --repair`.
 */
import { execFile } from 'node:child_process';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { entityKey, imageKey } from '@som/core';
import { openClient } from '@som/publish';
import { storedObjects, storedRecords } from './fixtures/dataset';
import { ROOT, makeFixtures, removeDir, som, tempDir } from './fixtures/som';

const SCRIPT = join(ROOT, 'examples', 'dist', 'publish-folder.js');
const SECRET = 'the key of the publish-script test';
const COLLECTION = 'IRB41449';

let fixtures: string;
let viaScript: string;
let viaCli: string;

beforeAll(() => {
  fixtures = tempDir('publish-fixtures');
  makeFixtures('mixed', fixtures);
  viaScript = tempDir('publish-script');
  viaCli = tempDir('publish-cli');
  for (const dir of [viaScript, viaCli])
    cpSync(fixtures, join(dir, 'studies'), { recursive: true });
});
afterAll(() => [fixtures, viaScript, viaCli].forEach(removeDir));

/** Lose the record of one image and the record of its entity (what a crash can leave). */
async function loseRecords(dir: string, entity: string, image: string): Promise<void> {
  const client = await openClient({ cwd: dir, env: {}, existingData: true });
  try {
    await client.records.delete(imageKey({ collection: COLLECTION, entity, image }));
    await client.records.delete(entityKey({ collection: COLLECTION, entity }));
  } finally {
    await client.close();
  }
}

describe('publish() from a script and som upload', () => {
  it('store the same object bytes and the same records, aggregates included', async () => {
    const script = await promisify(execFile)(process.execPath, [SCRIPT], {
      cwd: viaScript,
      env: { PATH: process.env.PATH, SOM_SECRET: SECRET },
    });
    const cli = await som(['upload', 'studies/', '--collection', COLLECTION, '--json'], {
      cwd: viaCli,
      env: { SOM_SECRET: SECRET },
    });
    const counts = (JSON.parse(cli.stdout) as { summary: { counts: Record<string, number> } })
      .summary.counts;
    // The script prints the counts of written, unchanged and failed files.
    expect(script.stdout.trim()).toBe(`${counts.written} ${counts.unchanged} ${counts.failed}`);
    expect(counts.written).toBeGreaterThan(0);
    expect(counts.failed).toBeGreaterThan(0); // the mixed set holds files that must fail

    const stored = storedObjects(viaScript);
    expect(stored.size).toBe(counts.written);
    expect(storedObjects(viaCli)).toEqual(stored);

    const fromScript = await storedRecords(viaScript, COLLECTION);
    expect(await storedRecords(viaCli, COLLECTION)).toEqual(fromScript);
    const entities = Object.entries(fromScript).filter(([path]) => path.split('/').length === 2);
    expect(entities.length).toBeGreaterThan(0);
    for (const [, entity] of entities) {
      expect(entity.NumberOfImages).toBeGreaterThan(0);
      expect(typeof entity.Modalities).toBe('string');
    }
  });

  it('repair the same way: client.verify({repair}) from openClient as som verify --repair', async () => {
    const before = await storedRecords(viaScript, COLLECTION);
    const image = Object.keys(before).find((path) => path.split('/').length === 3) as string;
    const [, entity, uid] = image.split('/') as [string, string, string];
    await loseRecords(viaScript, entity, uid);
    await loseRecords(viaCli, entity, uid);

    const client = await openClient({ cwd: viaScript, env: {}, existingData: true });
    const report = await client.verify({ repair: true }).finally(() => client.close());
    const cli = await som(['verify', '--repair', '--json'], { cwd: viaCli, env: {} });
    expect(cli.code).toBe(0);
    const fromCli = JSON.parse(cli.stdout) as { problems: typeof report.problems };
    expect(report.problems).toEqual(fromCli.problems);
    expect(report.problems.map((p) => p.type).sort()).toEqual(['missing-parent', 'orphan-object']);

    // The entity record came back with its aggregates, the image record with its DICOM fields.
    const repaired = await storedRecords(viaScript, COLLECTION);
    expect(repaired).toEqual(before);
    expect(await storedRecords(viaCli, COLLECTION)).toEqual(before);
  });
});
