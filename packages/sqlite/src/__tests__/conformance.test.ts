import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runMetadataStoreConformance } from '@som/conformance';
import { SqliteMetadataDriver } from '@som/sqlite';

const dir = mkdtempSync(join(tmpdir(), 'som-sqlite-conformance-'));

runMetadataStoreConformance({
  name: 'sqlite',
  makeDriver: async (group) => new SqliteMetadataDriver({ path: join(dir, `${group}.db`) }),
  teardown: async () => rmSync(dir, { recursive: true, force: true }),
});
