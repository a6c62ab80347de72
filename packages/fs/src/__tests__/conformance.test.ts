import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runObjectStoreConformance } from '@som/conformance';
import { FsObjectDriver } from '@som/fs';

const dir = mkdtempSync(join(tmpdir(), 'som-fs-conformance-'));

runObjectStoreConformance({
  name: 'fs',
  makeDriver: async (group) => new FsObjectDriver({ root: join(dir, group) }),
  teardown: async () => rmSync(dir, { recursive: true, force: true }),
});
