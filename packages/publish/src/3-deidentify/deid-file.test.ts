import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deidentify, readDicomHeader } from '@som/dicom';
import { AliasTable, FileAliasLookup, LocalPseudonymiser, SecretKey } from '@som/identifiers';
import { aliasesOf, deidentifyInto, deidentifyPath, type DeidentifiedFile } from './deid-file';
import { loadRecipe } from './settings';
import { readFileHeader } from '@som/dicom';
import { IdentifierCollector } from '../1-scan/identity';
import type { ScannedFile } from '../1-scan/scan';
import { HEADROOM } from './in-place';

const SAMPLE = join(__dirname, '..', '..', '..', '..', 'sample', 'dicom');
const FILE = join(SAMPLE, 'patient-c', 'IM0002.dcm');

async function scanned(
  path: string,
): Promise<{ file: ScannedFile; collector: IdentifierCollector }> {
  const size = statSync(path).size;
  const collector = new IdentifierCollector();
  const header = await readFileHeader(path, size);
  const identity = collector.add(header);
  const headerBytes = header.byteLength;
  return {
    file: {
      path,
      absolute: path,
      relative: 'IM0002.dcm',
      size,
      index: 0,
      headerBytes,
      ...identity,
    },
    collector,
  };
}

interface Context {
  aliases: FileAliasLookup;
  recipe: Awaited<ReturnType<typeof loadRecipe>>;
  key: SecretKey;
  hash: boolean;
}

async function context(
  key: string,
  collector: IdentifierCollector,
  recipeFile?: string,
): Promise<Context> {
  const secret = SecretKey.from(key);
  const table = await AliasTable.fromSource(
    new LocalPseudonymiser({ key: secret }),
    collector.request(),
  );
  const aliases = new FileAliasLookup(table, []);
  return { recipe: await loadRecipe(recipeFile), aliases, key: secret, hash: true };
}

async function deidentifyFile(file: ScannedFile, c: Context): Promise<DeidentifiedFile> {
  return deidentifyPath(file.absolute, file.path, aliasesOf(file, c.aliases), c, c.hash);
}

describe('deidentifyFile', () => {
  it('is deterministic: the same file and key give identical bytes, in one run or two', async () => {
    const { file, collector } = await scanned(FILE);
    const a = await deidentifyFile(file, await context('key one of the test', collector));
    const b = await deidentifyFile(file, await context('key one of the test', collector));
    const again = await deidentifyFile(file, await context('key one of the test', collector));
    expect(b.bytes.equals(a.bytes)).toBe(true);
    expect(a.md5).toBe(createHash('md5').update(a.bytes).digest('hex'));
    expect(b.md5).toBe(a.md5);
    expect(again.bytes.equals(a.bytes)).toBe(true);
    expect([b.entity, b.image, b.item]).toEqual([a.entity, a.image, a.item]);
    const other = await deidentifyFile(file, await context('another key entirely', collector));
    expect(other.entity).not.toBe(a.entity);
    expect(other.image).not.toBe(a.image);
  });

  it('assembles the output in the memory of the file read, byte for byte what the parts make', async () => {
    for (const patient of readdirSync(SAMPLE)) {
      for (const name of readdirSync(join(SAMPLE, patient))) {
        const path = join(SAMPLE, patient, name);
        const { file, collector } = await scanned(path);
        const c = await context('key one of the test', collector);
        const deid = await deidentifyFile(file, c);
        const aliases = aliasesOf(file, c.aliases);
        const parts = deidentify(readFileSync(path), {
          source: path,
          recipe: c.recipe,
          aliases,
          uidKey: c.key,
        }).parts;
        expect({ path, same: deid.bytes.equals(Buffer.concat(parts)) }).toEqual({
          path,
          same: true,
        });
        // Pixel data and all: one view of the memory the file was read into.
        expect(deid.bytes.buffer.byteLength).toBe(HEADROOM + statSync(path).size);
      }
    }
  });

  it('hashes the output only when asked (for a remote store to check the transfer)', async () => {
    const { file, collector } = await scanned(FILE);
    const c = await context('key one of the test', collector);
    const unhashed = await deidentifyFile(file, { ...c, hash: false });
    expect(unhashed.md5).toBeUndefined();
    expect(unhashed.bytes.equals((await deidentifyFile(file, c)).bytes)).toBe(true);
  });

  it('removes the identity, keeps the searchable fields and names the image by its remapped UID', async () => {
    const { file, collector } = await scanned(FILE);
    const deid = await deidentifyFile(file, await context('key one of the test', collector));
    const text = deid.bytes.toString('latin1');
    for (const phi of [
      'Muller',
      'SAMPLE-MRN-1003',
      'SAMPLE-OLD-1003',
      '19780101',
      'Hauptstrasse',
      'St. Elsewhere',
      'House',
      '1.2.826.0.1.3680043.8.498.7701',
    ]) {
      expect(text).not.toContain(phi);
    }
    const header = readDicomHeader(deid.bytes, 'out');
    expect(header.string('SOPInstanceUID')).toBe(deid.image);
    expect(header.string('PatientID')).toBe(deid.entity);
    expect(deid.searchable).toMatchObject({
      Modality: 'MR',
      BodyPartExamined: 'KNEE',
      Rows: 64,
      Columns: 64,
    });
  });

  it('de-identifies into a file: the same bytes as in memory, left alone when unchanged, nothing for a failure', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'som-deid-into-'));
    try {
      const { file, collector } = await scanned(FILE);
      const c = await context('key one of the test', collector);
      const aliases = aliasesOf(file, c.aliases);
      const target = join(dir, 'nested', 'out.dcm');
      const written = await deidentifyInto(file.absolute, file.path, aliases, c, target);
      const inMemory = await deidentifyFile(file, c);
      expect(readFileSync(target).equals(inMemory.bytes)).toBe(true);
      expect(written).toEqual({
        outcome: 'written',
        size: inMemory.bytes.length,
        entity: inMemory.entity,
        image: inMemory.image,
        item: inMemory.item,
        matchedRules: [],
      });
      const mtime = statSync(target).mtimeMs;
      const again = await deidentifyInto(file.absolute, file.path, aliases, c, target);
      expect(again.outcome).toBe('unchanged');
      expect(statSync(target).mtimeMs).toBe(mtime);
      writeFileSync(target, 'changed by hand');
      expect((await deidentifyInto(file.absolute, file.path, aliases, c, target)).outcome).toBe(
        'written',
      );
      expect(readFileSync(target).equals(inMemory.bytes)).toBe(true);
      const truncated = join(dir, 'truncated.dcm');
      writeFileSync(truncated, readFileSync(FILE).subarray(0, 700));
      const failing = join(dir, 'failing-out.dcm');
      await expect(
        deidentifyInto(truncated, 'truncated.dcm', aliases, c, failing),
      ).rejects.toThrow();
      expect(readdirSync(dir).sort()).toEqual(['nested', 'truncated.dcm']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names a missing alias without the original identifier', async () => {
    const { file, collector } = await scanned(FILE);
    const empty = {
      ...(await context('k3y of the test', collector)),
      aliases: new FileAliasLookup(new AliasTable({ results: [] }, 'ids.json'), []),
    };
    await expect(deidentifyFile(file, empty)).rejects.toThrow(
      'ids.json has no alias for the patient of this file',
    );
  });

  it("takes the patient's alias and jitter only when none of its items identifies the file", async () => {
    const { file, collector } = await scanned(FILE);
    const c = await context('key one of the test', collector);
    const { entity } = c.aliases.aliasesOf(file);
    const table = new AliasTable({
      results: [{ ...entity, jitter: -3, items: [{ id: 'another-study', suid: 'study-alias' }] }],
    });
    const lookup = new FileAliasLookup(table, [file]);
    const aliases = aliasesOf(file, lookup);
    expect(aliases.item).toBeUndefined();
    const deid = await deidentifyPath(file.absolute, file.path, aliases, c);
    expect(deid.item).toBeUndefined();
    expect(deid.entity).toBe(entity.suid);
    const header = readDicomHeader(deid.bytes, 'out');
    // 2010-06-11 moved 3 days back; no item alias for the accession number.
    expect(header.string('StudyDate')).toBe('20100608');
    expect(header.string('AccessionNumber') ?? '').toBe('');
  });

  it('turns on profile options', async () => {
    const { file, collector } = await scanned(FILE);
    const c = await context('key one of the test', collector);
    const options = { retainPatientCharacteristics: true, retainDeviceIdentity: true };
    const kept = await deidentifyPath(file.absolute, file.path, aliasesOf(file, c.aliases), {
      ...c,
      recipe: await loadRecipe(undefined, options),
    });
    const header = readDicomHeader(kept.bytes, 'out');
    expect([header.string('PatientSex'), header.string('StationName')]).toEqual(['M', 'MR-ROOM-1']);
  });

  it('layers a recipe file over the default profile', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'som-recipe-'));
    try {
      writeFileSync(
        join(dir, 'keep.recipe'),
        'FORMAT dicom\n\n%header\n\nKEEP StationName\nREPLACE SeriesDescription redacted series\n',
      );
      const { file, collector } = await scanned(FILE);
      const deid = await deidentifyFile(
        file,
        await context('key one of the test', collector, join(dir, 'keep.recipe')),
      );
      const header = readDicomHeader(deid.bytes, 'out');
      expect(header.string('StationName')).toBe('MR-ROOM-1');
      expect(header.string('SeriesDescription')).toBe('redacted series');
      expect(header.string('PatientName')).toBe(deid.entity);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
