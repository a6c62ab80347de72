import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runObjectStoreConformance } from '@som/conformance';
import { FsObjectDriver } from '@som/fs';

const dir = mkdtempSync(join(tmpdir(), 'som-fs-conformance-'));

runObjectStoreConformance({
  name: 'fs',
  makeDriver: async () => new FsObjectDriver({ root: join(dir, 'objects') }),
  teardown: async () => rmSync(dir, { recursive: true, force: true }),
});
