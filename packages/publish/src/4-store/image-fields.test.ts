import { statSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { AliasTable, FileAliasLookup, LocalPseudonymiser, SecretKey } from '@som/identifiers';
import { readFileHeader } from '@som/dicom';
import { IdentifierCollector } from '../1-scan/identity';
import { aliasesOf, deidentifyPath } from '../3-deidentify/deid-file';
import { loadRecipe } from '../3-deidentify/settings';
import { imageFieldsReader } from './image-fields';

const FILE = join(__dirname, '..', '..', '..', '..', 'sample', 'dicom', 'patient-b', 'IM0002.dcm');

describe('imageFieldsReader', () => {
  it('rebuilds from a stored object exactly the searchable fields its upload recorded', async () => {
    const size = statSync(FILE).size;
    const collector = new IdentifierCollector();
    const identity = collector.add(await readFileHeader(FILE, size));
    const key = SecretKey.from('the key of this test');
    const table = await AliasTable.fromSource(new LocalPseudonymiser({ key }), collector.request());
    const file = {
      path: FILE,
      absolute: FILE,
      relative: 'IM0002.dcm',
      size,
      index: 0,
      headerBytes: 0,
      ...identity,
    };
    const deid = await deidentifyPath(
      FILE,
      FILE,
      aliasesOf(file, new FileAliasLookup(table, [file])),
      {
        recipe: await loadRecipe(undefined),
        key,
      },
      true,
    );
    const stream = Readable.from([deid.bytes.subarray(0, 1000), deid.bytes.subarray(1000)]);
    const fields = await imageFieldsReader(stream, {
      key: 'Collection/c/Entity/e/Images/i',
      size: deid.bytes.length,
      md5: deid.md5 as string,
      contentType: 'application/dicom',
      metadata: {},
      updated: new Date(),
    });
    expect(fields).toEqual(deid.searchable);
    expect(fields).toMatchObject({ Modality: 'MR', Rows: 64, SOPInstanceUID: deid.image });
  });
});
