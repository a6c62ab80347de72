import { Readable } from 'node:stream';
import { SomError } from '../errors';
import type { ObjectStoreDriver } from './driver';
import { MemoryObjectDriver } from './memory';
import { ObjectStore } from './object-store';

/** A driver whose every operation fails with `native`, mapped by a fixed table. */
function failingDriver(native: Error): ObjectStoreDriver {
  const fail = async (): Promise<never> => {
    throw native;
  };
  return {
    name: 'failing',
    capabilities: {
      signedUrls: false,
      ifNotExists: false,
      copy: false,
      md5FromCaller: false,
      groupCommit: false,
    },
    put: fail,
    get: fail,
    head: fail,
    delete: fail,
    list: fail,
    errorCode: (err) =>
      (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'NotFound' : 'Unavailable',
  };
}

describe('ObjectStore (portable layer)', () => {
  it('maps a native driver error to a SomError with the driver code, keeping the cause', async () => {
    const native = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), {
      code: 'ECONNREFUSED',
    });
    const store = new ObjectStore(failingDriver(native));
    const error = await store.head('a/b').catch((err: unknown) => err);
    expect(error).toBeInstanceOf(SomError);
    expect(error).toMatchObject({ code: 'Unavailable', cause: native });
    expect((error as SomError).message).toBe('failing: head a/b: connect ECONNREFUSED 127.0.0.1:9');
  });

  it('answers Unimplemented for capabilities the driver lacks, before any I/O', async () => {
    const store = new ObjectStore(failingDriver(new Error('must not be called')));
    await expect(store.copy('a', 'b')).rejects.toMatchObject({ code: 'Unimplemented' });
    await expect(
      store.signedUrl('a', { method: 'GET', expiresInSeconds: 60 }),
    ).rejects.toMatchObject({ code: 'Unimplemented' });
    await expect(store.put('a', 'x', { ifNotExists: true })).rejects.toMatchObject({
      code: 'Unimplemented',
    });
  });

  it('validates md5, metadata names and page sizes before any I/O', async () => {
    const store = new ObjectStore(failingDriver(new Error('must not be called')));
    await expect(store.put('a', 'x', { md5: 'ABC' })).rejects.toMatchObject({
      code: 'InvalidArgument',
    });
    await expect(store.put('a', 'x', { metadata: { 'bad name': 'v' } })).rejects.toMatchObject({
      code: 'InvalidArgument',
    });
    await expect(store.list({ pageSize: 1001 })).rejects.toMatchObject({ code: 'InvalidArgument' });
    await expect(store.head('\ud800')).rejects.toMatchObject({ code: 'InvalidArgument' });
  });

  it('turns an error in the middle of a read stream into a SomError', async () => {
    const driver = new MemoryObjectDriver();
    driver.get = async () =>
      new Readable({
        read() {
          this.push(Buffer.from('partial'));
          this.destroy(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
        },
      });
    driver.errorCode = () => 'Unavailable';
    const store = new ObjectStore(driver);
    const stream = await store.get('k');
    const error = await (async () => {
      for await (const chunk of stream) expect(chunk).toBeDefined();
    })().catch((err: unknown) => err);
    expect(error).toMatchObject({ code: 'Unavailable', message: 'memory: read k: socket hang up' });
  });

  it('refuses a driver that hands back the same page token forever', async () => {
    const driver = new MemoryObjectDriver();
    driver.list = async () => ({ objects: [], prefixes: [], nextPageToken: 'same' });
    const store = new ObjectStore(driver);
    const keys: string[] = [];
    const error = await (async () => {
      for await (const object of store.listAll('')) keys.push(object.key);
    })().catch((err: unknown) => err);
    expect(error).toMatchObject({ code: 'Internal' });
    expect(keys).toEqual([]);
  });
});
