import { SomError } from '../errors';
import { MemoryMetadataDriver } from '../metadata-store/memory';
import type { ModelRecord } from '../model';
import { MemoryObjectDriver } from '../object-store/memory';
import { Client } from './client';
import { listRecords, recordJson, SearchResults, searchKind } from './record-listing';

async function uids(records: AsyncIterable<ModelRecord>): Promise<string[]> {
  const out: string[] = [];
  for await (const record of records) out.push(record.uid);
  return out;
}

describe('record listings', () => {
  let client: Client;
  beforeAll(async () => {
    client = new Client({
      objectStore: new MemoryObjectDriver(),
      metadataStore: new MemoryMetadataDriver(),
    });
    for (const entity of ['e1', 'e2'])
      await client.uploadDataset({
        collection: 'c1',
        uid: entity,
        images: ['i1', 'i2', 'i3'].map((uid) => ({
          uid: `${entity}${uid}`,
          bytes: Buffer.from(uid),
          metadata: { Modality: uid === 'i3' ? 'MR' : 'CT' },
        })),
      });
  });
  afterAll(() => client.close());

  it('lists collections, the entities of one, the images of an entity', async () => {
    expect(await uids(await listRecords(client, {}))).toEqual(['c1']);
    expect(await uids(await listRecords(client, { collection: 'c1' }))).toEqual(['e1', 'e2']);
    expect(await uids(await listRecords(client, { collection: 'c1', entity: 'e2' }))).toEqual([
      'e2i1',
      'e2i2',
      'e2i3',
    ]);
  });

  it('says NotFound for a collection or entity that does not exist, instead of an empty list', async () => {
    await expect(listRecords(client, { collection: 'nosuch' })).rejects.toThrow(
      'collection nosuch not found',
    );
    await expect(listRecords(client, { collection: 'c1', entity: 'nosuch' })).rejects.toThrow(
      'entity c1/nosuch not found',
    );
    await expect(listRecords(client, { entity: 'e1' })).rejects.toBeInstanceOf(SomError);
  });

  it('gives at most the limit, page after page, and tells whether more match', async () => {
    const ct = {
      kind: 'Image' as const,
      filters: [{ field: 'Modality', op: '=' as const, value: 'CT' }],
    };
    const three = new SearchResults(client, ct, 3);
    expect(await uids(three)).toEqual(['e1i1', 'e1i2', 'e2i1']);
    expect(await three.more()).toBe(true);
    const all = new SearchResults(client, ct, 4);
    expect(await uids(all)).toHaveLength(4);
    expect(await all.more()).toBe(false);
    expect(await uids(new SearchResults(client, { kind: 'Entity' }, 10))).toEqual(['e1', 'e2']);
  });

  it('names the kinds a search takes', () => {
    expect(searchKind('Entity')).toBe('Entity');
    expect(() => searchKind('study')).toThrow(
      'kind must be image, entity or collection, not "study"',
    );
  });

  it('prints a record as its fields with its uid', () => {
    const record = {
      kind: 'Entity',
      uid: 'e1',
      key: ['Collection', 'c', 'Entity', 'e1'],
      data: { Modalities: 'CT' },
    };
    expect(recordJson(record as unknown as ModelRecord)).toEqual({ Modalities: 'CT', uid: 'e1' });
  });
});
