/** The DI registration: configuration checks, and a Client storing images on disk. */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SomError, type StoresConfig } from '@som/core';
import { TOKENS, createContainer, memoryMetadataStoreAdapter } from '@som/core/di';
import { FsObjectDriver, fsObjectStoreAdapter } from '@som/fs';

const dir = mkdtempSync(join(tmpdir(), 'som-fs-adapter-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const config = (objectStore: Record<string, unknown>): StoresConfig => ({
  objectStore: { type: 'fs', ...objectStore },
  metadataStore: { type: 'memory' },
});
const adapters = [fsObjectStoreAdapter, memoryMetadataStoreAdapter];

describe('fsObjectStoreAdapter', () => {
  it('builds a Client whose images are files under the root', async () => {
    const root = join(dir, 'objects');
    const container = createContainer(config({ root }), adapters);
    expect(container.get(TOKENS.ObjectStoreDriver)).toBeInstanceOf(FsObjectDriver);
    const client = container.get(TOKENS.Client);
    const result = await client.uploadDataset({
      collection: 'c1',
      uid: 'p1',
      images: [{ uid: 'i1', bytes: Buffer.from('DICM one') }],
    });
    expect(result.counts.uploaded).toBe(1);
    const file = join(root, 'Collection', 'c1', 'Entity', 'p1', 'Images', 'i1.obj');
    expect(readFileSync(file, 'utf8')).toBe('DICM one');
    const report = await client.verify({ deep: true });
    expect(report).toEqual({ images: 1, problems: [] });
    await client.deleteImage({ collection: 'c1', entity: 'p1', image: 'i1' });
    expect(existsSync(file)).toBe(false);
    await client.close();
  });

  it.each([[{}], [{ root: '' }], [{ root: 7 }]])(
    'rejects the settings %j before any I/O',
    (settings) => {
      let thrown: unknown;
      try {
        createContainer(config(settings), adapters);
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(SomError);
      expect(thrown).toMatchObject({
        code: 'InvalidArgument',
        message: expect.stringMatching(/"root" must be a non-empty string/),
      });
    },
  );
});
