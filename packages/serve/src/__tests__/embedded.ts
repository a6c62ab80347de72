/**
 * The embedded default (fs objects + SQLite records) in a temporary directory, holding
 * pydicom's test files in twelve encodings (scripts/pydicom-corpus.py) uploaded by the built
 * `som upload`, with their study and series summaries written.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { Client } from '@som/core';
import { FsObjectDriver } from '@som/fs';
import { SqliteMetadataDriver } from '@som/sqlite';
import { som, tempDir } from '../../../../test/fixtures/som';
import { refreshStudySeriesSummaries } from '../summaries';

/** The scripts of the package (corpus, oracle, OHIF install). */
export const SCRIPTS = join(__dirname, '..', '..', 'scripts');

/** The collection the corpus is uploaded to. */
export const PYDICOM_COLLECTION = 'pyd';

/** The dataset: its directory, a client on it, and the encoding of each corpus file. */
export interface EmbeddedDataset {
  cwd: string;
  client: Client;
  /** Transfer syntax UID by file name. */
  encodings: Map<string, string>;
}

/** Build the dataset; throws when the upload does not store all twelve files. */
export async function embeddedDataset(): Promise<EmbeddedDataset> {
  const cwd = tempDir('serve');
  const listing = execFileSync('/usr/bin/python3', [join(SCRIPTS, 'pydicom-corpus.py'), 'in'], {
    cwd,
  }).toString();
  const encodings = new Map(
    listing
      .trim()
      .split('\n')
      .map((line) => line.split(' ') as [string, string]),
  );
  const upload = await som(['upload', 'in', '--collection', PYDICOM_COLLECTION], { cwd });
  if (upload.code !== 0 || !`${upload.stdout}${upload.stderr}`.includes('12 files: 12 written'))
    throw new Error(`som upload failed:\n${upload.stdout}\n${upload.stderr}`);
  const client = new Client({
    objectStore: new FsObjectDriver({ root: join(cwd, 'som-data', 'objects') }),
    metadataStore: new SqliteMetadataDriver({ path: join(cwd, 'som-data', 'som.db') }),
  });
  for await (const entity of client.listEntities(PYDICOM_COLLECTION))
    await refreshStudySeriesSummaries(client, {
      collection: PYDICOM_COLLECTION,
      entity: entity.uid,
    });
  return { cwd, client, encodings };
}
