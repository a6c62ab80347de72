/** The DI registration: configuration checks, and a Client on the SQLite store. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SomError, type StoresConfig } from '@som/core';
import { TOKENS, createContainer, memoryObjectStoreAdapter } from '@som/core/di';
import { SqliteMetadataDriver, sqliteMetadataStoreAdapter } from '@som/sqlite';

const dir = mkdtempSync(join(tmpdir(), 'som-sqlite-adapter-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const config = (metadataStore: Record<string, unknown>): StoresConfig => ({
  objectStore: { type: 'memory' },
  metadataStore: { type: 'sqlite', ...metadataStore },
});
const adapters = [memoryObjectStoreAdapter, sqliteMetadataStoreAdapter];

describe('sqliteMetadataStoreAdapter', () => {
  it('builds a Client whose records live in the SQLite file', async () => {
    const container = createContainer(
      config({ path: join(dir, 'di.db'), indexedFields: ['AccessionNumber'] }),
      adapters,
    );
    expect(container.get(TOKENS.MetadataStoreDriver)).toBeInstanceOf(SqliteMetadataDriver);
    const client = container.get(TOKENS.Client);
    await client.uploadDataset({
      collection: 'c1',
      uid: 'p1',
      images: [
        { uid: 'i1', bytes: Buffer.from('one'), metadata: { Modality: 'CT' } },
        { uid: 'i2', bytes: Buffer.from('two'), metadata: { Modality: 'MR' } },
      ],
    });
    const found = await client.search({
      collection: 'c1',
      filters: [{ field: 'Modality', op: '=', value: 'MR' }],
    });
    expect(found.records.map((r) => r.uid)).toEqual(['i2']);
    await client.close();
  });

  it.each([
    [{}, /"path" must be a non-empty string/],
    [{ path: '' }, /"path" must be a non-empty string/],
    [{ path: 'x.db', indexedFields: 'Modality' }, /"indexedFields" must be an array/],
    [{ path: 'x.db', indexedFields: ['ok', 'not-a-field'] }, /invalid field name "not-a-field"/],
    [{ path: 'x.db', busyTimeoutMs: -1 }, /"busyTimeoutMs" must be a non-negative integer/],
  ])('rejects the settings %j before any I/O', (settings, message) => {
    let thrown: unknown;
    try {
      createContainer(config(settings), adapters);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(SomError);
    expect(thrown).toMatchObject({
      code: 'InvalidArgument',
      message: expect.stringMatching(message),
    });
  });
});
