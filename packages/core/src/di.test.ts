import { Client } from './client/client';
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
    ).toThrow('unknown objectStore type "s4": use one of memory');
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
});
