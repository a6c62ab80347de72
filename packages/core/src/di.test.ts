import { Client } from './client/client';
import { stringSetting } from './settings';
import {
  TOKENS,
  createContainer,
  memoryMetadataStoreAdapter,
  memoryObjectStoreAdapter,
} from './di';

const adapters = [memoryObjectStoreAdapter, memoryMetadataStoreAdapter];

describe('createContainer', () => {
  it('composes the chosen adapters into singletons and a Client', async () => {
    const container = createContainer(
      { objectStore: { type: 'memory' }, metadataStore: { type: 'memory' } },
      adapters,
    );
    const client = container.get(TOKENS.Client);
    expect(client).toBeInstanceOf(Client);
    expect(container.get(TOKENS.Client)).toBe(client);
    expect(container.get(TOKENS.ObjectStore)).toBe(client.objects);
    await client.createCollection({ uid: 'c' });
    expect((await container.get(TOKENS.MetadataStore).get(['Collection', 'c']))?.data.uid).toBe(
      'c',
    );
  });

  it('names the unknown type and the known ones', () => {
    expect(() =>
      createContainer({ objectStore: { type: 's4' }, metadataStore: { type: 'memory' } }, adapters),
    ).toThrow('unknown object store type "s4": use one of memory');
  });

  it('runs the adapter validation before building anything', () => {
    const strict = {
      ...memoryObjectStoreAdapter,
      validate: () => {
        throw new Error('bucket is required');
      },
    };
    expect(() =>
      createContainer({ objectStore: { type: 'memory' }, metadataStore: { type: 'memory' } }, [
        strict,
        memoryMetadataStoreAdapter,
      ]),
    ).toThrow('bucket is required');
  });

  it('names the store, the type and the setting of a bad setting', () => {
    const needsBucket = {
      ...memoryMetadataStoreAdapter,
      type: 'bucketed',
      validate: (config: { type: string; [setting: string]: unknown }) => {
        stringSetting(config, 'bucket');
      },
    };
    expect(() =>
      createContainer(
        { objectStore: { type: 'memory' }, metadataStore: { type: 'bucketed', bucket: 7 } },
        [memoryObjectStoreAdapter, needsBucket],
      ),
    ).toThrow(/^metadata store bucketed: "bucket" must be a non-empty string$/);
  });
});
