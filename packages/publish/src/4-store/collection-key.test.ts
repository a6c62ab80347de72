import { Client, MemoryMetadataDriver, MemoryObjectDriver, collectionKey } from '@som/core';
import { CollectionKeyMismatchError, SecretKey, collectionKeyStamp } from '@som/identifiers';
import { claimCollection } from './collection-key';

const client = (): Client =>
  new Client({ objectStore: new MemoryObjectDriver(), metadataStore: new MemoryMetadataDriver() });

const stamp = (secret: string, source: 'local' | 'dasher' = 'local') =>
  collectionKeyStamp(SecretKey.from(secret), source);

const A = 'the first key of the collection test';
const B = 'another key of the collection test!!';

describe('claimCollection', () => {
  it('records the stamp of a new collection and accepts the same one again', async () => {
    const c = client();
    await claimCollection(c, 'c', stamp(A), false);
    const record = await c.getCollection('c');
    expect(record.data).toMatchObject(stamp(A));
    expect(JSON.stringify(record.data)).not.toContain(A);
    await claimCollection(c, 'c', stamp(A), false);
    expect((await c.getCollection('c')).data.updated).toBe(record.data.updated);
  });

  it('refuses another key or alias source and writes nothing, unless told to accept it', async () => {
    const c = client();
    await claimCollection(c, 'c', stamp(A), false);
    const before = await c.records.get(collectionKey('c'));
    for (const other of [stamp(B), stamp(A, 'dasher')]) {
      const refused = claimCollection(c, 'c', other, false);
      await expect(refused).rejects.toBeInstanceOf(CollectionKeyMismatchError);
      await expect(refused).rejects.toMatchObject({ code: 'FailedPrecondition', collection: 'c' });
      expect(await c.records.get(collectionKey('c'))).toEqual(before);
    }
    await claimCollection(c, 'c', stamp(B), true);
    expect((await c.getCollection('c')).data).toMatchObject(stamp(B));
    await expect(claimCollection(c, 'c', stamp(A), false)).rejects.toThrow(
      CollectionKeyMismatchError,
    );
  });

  it('records the stamp of a collection made before stamps were kept', async () => {
    const c = client();
    await c.createCollection({ uid: 'old', metadata: { title: 'made earlier' } });
    await claimCollection(c, 'old', stamp(A), false);
    expect((await c.getCollection('old')).data).toMatchObject({
      title: 'made earlier',
      ...stamp(A),
    });
  });
});
