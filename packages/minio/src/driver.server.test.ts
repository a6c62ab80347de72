/**
 * What the conformance suite does not cover, against a real S3 server (Swift s3api on
 * 127.0.0.1): multipart uploads and their md5, credentials and secrets, missing buckets,
 * conditional writes, metadata encoding, unreachable and silent servers.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import { inspect } from 'node:util';
import { Client } from 'minio';
import { ObjectStore, SomError, type StoreConfig } from '@som/core';
import { readAll } from '@som/conformance';
import { expectSomError } from '@som/testing';
import { freePort, startSwiftS3, type SwiftS3Server } from '@som/testing';
import { MIN_PART_SIZE, MinioObjectDriver, TEMP_PREFIX } from '.';

// A real Python server on a shared 2-core machine: a single request may take a while.
jest.setTimeout(30_000);

const BUCKET = 'driver-tests';
const WRONG_SECRET = 'wrong-secret-Zq9xV7pL3m';

let server: SwiftS3Server;
let store: ObjectStore;
let raw: Client;

function config(overrides: Partial<StoreConfig> = {}): StoreConfig {
  return {
    type: 'minio',
    endPoint: server.endpoint,
    region: server.region,
    accessKey: server.accessKey,
    secretKey: server.secretKey,
    bucket: BUCKET,
    createBucket: true,
    partSize: MIN_PART_SIZE,
    ...overrides,
  };
}

function md5Hex(bytes: Buffer): string {
  return createHash('md5').update(bytes).digest('hex');
}

/** Pseudo-random bytes, the same for the same seed. */
function bytesOf(size: number, seed: number): Buffer {
  const bytes = Buffer.alloc(size);
  let x = seed || 1;
  for (let i = 0; i < size; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes.writeUInt32LE(x >>> 0, Math.min(i, size - 4));
  }
  return bytes;
}

/** A stream of `bytes` in 1 MiB chunks that fails after `failAfter` bytes, when given. */
function streamOf(bytes: Buffer, failAfter?: number): Readable {
  let offset = 0;
  return new Readable({
    read() {
      if (failAfter !== undefined && offset >= failAfter)
        return this.destroy(new Error('source failed on purpose'));
      if (offset >= bytes.length) return this.push(null);
      const end = Math.min(offset + (1 << 20), bytes.length);
      this.push(bytes.subarray(offset, end));
      offset = end;
    },
  });
}

async function keysUnder(prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const object of store.listAll(prefix)) keys.push(object.key);
  return keys;
}

/** Keys of the multipart uploads in progress under `prefix` (ListMultipartUploads). */
async function incompleteUploads(prefix: string): Promise<string[]> {
  const query = `prefix=${encodeURIComponent(prefix)}&uploads`;
  const response = await raw.makeRequestAsync(
    { method: 'GET', bucketName: BUCKET, query },
    '',
    [200],
  );
  const xml = (await readAll(response)).toString('utf8');
  return [...xml.matchAll(/<Upload><Key>([^<]*)<\/Key>/g)].map((match) => match[1] as string);
}

/** Every message and property of an error and its causes, as text. */
function everything(err: unknown): string {
  return `${String(err)} ${inspect(err, { depth: 10, showHidden: true })}`;
}

beforeAll(async () => {
  server = await startSwiftS3();
  store = new ObjectStore(new MinioObjectDriver(config()));
  raw = new Client({
    endPoint: server.host,
    port: server.port,
    useSSL: false,
    accessKey: server.accessKey,
    secretKey: server.secretKey,
    region: server.region,
  });
  await store.put('warm-up', 'x');
}, 60_000);

afterAll(async () => {
  await store?.close();
  await server?.stop();
}, 30_000);

describe('multipart uploads (objects larger than the part size)', () => {
  const size = 2 * MIN_PART_SIZE + 12345;

  it('sees multipart uploads in progress (so that finding none below means something)', async () => {
    const uploadId = await raw.initiateNewMultipartUpload(BUCKET, 'multi/in-progress', {});
    expect(await incompleteUploads('multi/')).toEqual(['multi/in-progress']);
    await raw.abortMultipartUpload(BUCKET, 'multi/in-progress', uploadId);
    expect(await incompleteUploads('multi/')).toEqual([]);
  });

  it('stores an object of three parts with its md5, content type and metadata', async () => {
    const bytes = bytesOf(size, 1);
    const attributes = await store.put('multi/given', streamOf(bytes), {
      md5: md5Hex(bytes),
      contentType: 'application/dicom',
      metadata: { modality: 'CT' },
    });
    expect(attributes).toMatchObject({ size, md5: md5Hex(bytes) });
    expect(await store.head('multi/given')).toMatchObject({
      size,
      md5: md5Hex(bytes),
      contentType: 'application/dicom',
      metadata: { modality: 'CT' },
    });
    expect((await readAll(await store.get('multi/given'))).equals(bytes)).toBe(true);
    // A multipart ETag is not an md5: the listing leaves it out rather than give a wrong one.
    const [listed] = (await store.list({ prefix: 'multi/given' })).objects;
    expect(listed).toMatchObject({ key: 'multi/given', size });
    expect(listed?.md5).toBeUndefined();
  }, 60_000);

  it('stores an object whose md5 was not given through a temporary key, keeping the md5 computed', async () => {
    const bytes = bytesOf(size, 2);
    const attributes = await store.put('multi/computed', streamOf(bytes), {
      contentType: 'application/dicom',
      metadata: { note: 'no md5' },
    });
    expect(attributes.md5).toBe(md5Hex(bytes));
    expect(await store.head('multi/computed')).toMatchObject({
      size,
      md5: md5Hex(bytes),
      contentType: 'application/dicom',
      metadata: { note: 'no md5' },
    });
    expect((await readAll(await store.get('multi/computed'))).equals(bytes)).toBe(true);
    expect(await keysUnder(TEMP_PREFIX)).toEqual([]);
    expect(await incompleteUploads('')).toEqual([]);
  }, 60_000);

  it('rejects a multipart upload whose md5 does not match: nothing stored, the previous object intact, the upload aborted', async () => {
    const bytes = bytesOf(size, 3);
    await expectSomError(
      store.put('multi/mismatch-new', streamOf(bytes), { md5: md5Hex(Buffer.from('other')) }),
      'InvalidArgument',
    );
    expect(await store.exists('multi/mismatch-new')).toBe(false);
    await store.put('multi/mismatch-old', 'previous');
    const error = await store
      .put('multi/mismatch-old', streamOf(bytes), { md5: md5Hex(Buffer.from('other')) })
      .catch((err: unknown) => err);
    expect(error).toBeInstanceOf(SomError);
    expect((error as SomError).code).toBe('InvalidArgument');
    expect((error as SomError).message).toContain('multi/mismatch-old');
    expect((await store.getBuffer('multi/mismatch-old')).toString()).toBe('previous');
    expect(await incompleteUploads('multi/')).toEqual([]);
  }, 60_000);

  it.each([
    ['with', true],
    ['without', false],
  ])(
    'stores nothing when the source fails in the second part (md5 %s), and aborts the upload',
    async (_label, withMd5) => {
      const bytes = bytesOf(size, 4);
      const key = `multi/failing-${String(withMd5)}`;
      await store.put(key, 'previous');
      const options = withMd5 ? { md5: md5Hex(bytes) } : {};
      await expect(
        store.put(key, streamOf(bytes, MIN_PART_SIZE + (1 << 20)), options),
      ).rejects.toBeInstanceOf(SomError);
      expect((await store.getBuffer(key)).toString()).toBe('previous');
      expect(await incompleteUploads('')).toEqual([]);
      expect(await keysUnder(TEMP_PREFIX)).toEqual([]);
    },
    60_000,
  );

  it('reads the md5 of a multipart object written by another client, which has no som md5', async () => {
    const bytes = bytesOf(MIN_PART_SIZE + 100, 5);
    const other = new Client({
      endPoint: server.host,
      port: server.port,
      useSSL: false,
      accessKey: server.accessKey,
      secretKey: server.secretKey,
      region: server.region,
      partSize: MIN_PART_SIZE,
    });
    await other.putObject(BUCKET, 'foreign/multipart', streamOf(bytes), bytes.length);
    expect((await other.statObject(BUCKET, 'foreign/multipart')).etag).toMatch(/-2$/);
    expect((await store.head('foreign/multipart')).md5).toBe(md5Hex(bytes));
  }, 60_000);
});

describe('user metadata', () => {
  it('round-trips names and values S3 headers cannot carry as they are', async () => {
    const metadata = {
      Modality: 'MR',
      patient_alias: 'SUID-1',
      'som-md5': 'a user field named like som\u2019s own',
      empty: '',
      padded: '  spaces around  ',
      looks_encoded: '=?UTF-8?B?aGk=?=',
      unicode: '\u65e5\u672c\u8a9e \u00e9',
      plain: 'plain value',
    };
    await store.put('meta/odd', 'x', { metadata });
    expect((await store.head('meta/odd')).metadata).toEqual(metadata);
    await store.copy('meta/odd', 'meta/odd-copy');
    expect((await store.head('meta/odd-copy')).metadata).toEqual(metadata);
  });

  it('keeps plain lowercase names readable by other S3 tools', async () => {
    await store.put('meta/plain', 'x', { metadata: { 'body-part': 'CHEST' } });
    expect((await raw.statObject(BUCKET, 'meta/plain')).metaData).toMatchObject({
      'body-part': 'CHEST',
    });
  });
});

describe('cancellation', () => {
  it('stops a read when its signal aborts', async () => {
    await store.put('cancel/read', Buffer.alloc(3 << 20, 1));
    const controller = new AbortController();
    const stream = await store.get('cancel/read', { signal: controller.signal });
    controller.abort();
    await expect(readAll(stream)).rejects.toMatchObject({ code: 'Canceled' });
  });

  it('stores nothing for a write whose signal aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    await expectSomError(
      store.put('cancel/write', Buffer.alloc(10), { signal: controller.signal }),
      'Canceled',
    );
    expect(await store.exists('cancel/write')).toBe(false);
  });
});

describe('ranges', () => {
  it('answers InvalidArgument for a range starting past the end', async () => {
    await store.put('range/short', '0123456789');
    await expectSomError(store.get('range/short', { range: { start: 50 } }), 'InvalidArgument');
  });
});

describe('credentials and secrets', () => {
  it('answers PermissionDenied for a wrong secret, which appears in no error, name or inspection', async () => {
    const driver = new MinioObjectDriver(config({ secretKey: WRONG_SECRET }));
    const wrong = new ObjectStore(driver);
    for (const attempt of [
      wrong.put('secret/a', 'x'),
      wrong.get('warm-up'),
      wrong.list({}),
      wrong.head('warm-up'),
    ]) {
      const error = await attempt.then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(error).toBeInstanceOf(SomError);
      expect((error as SomError).code).toBe('PermissionDenied');
      expect(everything(error)).not.toContain(WRONG_SECRET);
    }
    expect(driver.name).not.toContain(WRONG_SECRET);
    expect(inspect(driver, { depth: 10, showHidden: true })).not.toContain(WRONG_SECRET);
    expect(JSON.stringify(driver)).not.toContain(WRONG_SECRET);
    await wrong.close();
  });

  it('takes credentials from SOM_S3_ACCESS_KEY and SOM_S3_SECRET_KEY', async () => {
    const { accessKey, secretKey, ...rest } = config();
    expect([accessKey, secretKey]).toEqual([server.accessKey, server.secretKey]);
    const env = {
      SOM_S3_ACCESS_KEY: server.accessKey,
      SOM_S3_SECRET_KEY: server.secretKey,
      AWS_SECRET_ACCESS_KEY: WRONG_SECRET,
    };
    const fromEnv = new ObjectStore(new MinioObjectDriver(rest as StoreConfig, env));
    expect((await fromEnv.getBuffer('warm-up')).toString()).toBe('x');
    await fromEnv.close();
  });
});

describe('buckets', () => {
  it('answers NotFound naming a missing bucket when createBucket is not set', async () => {
    const missing = new ObjectStore(
      new MinioObjectDriver(config({ bucket: 'no-such-bucket', createBucket: false })),
    );
    const error = await missing.put('a', 'x').then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(SomError);
    expect((error as SomError).code).toBe('NotFound');
    expect((error as SomError).message).toContain('"no-such-bucket"');
    await expectSomError(missing.list({}), 'NotFound');
    expect(await raw.bucketExists('no-such-bucket')).toBe(false);
    await missing.close();
  });

  it('creates a missing bucket when createBucket is set, once, even from concurrent writes', async () => {
    const creating = new ObjectStore(
      new MinioObjectDriver(config({ bucket: 'created-on-demand' })),
    );
    await Promise.all(Array.from({ length: 4 }, (_, i) => creating.put(`k${i}`, String(i))));
    expect(await raw.bucketExists('created-on-demand')).toBe(true);
    expect((await creating.list({})).objects.map((o) => o.key)).toEqual(['k0', 'k1', 'k2', 'k3']);
    await creating.close();
  });
});

describe('create if absent', () => {
  it('passes the server\u2019s refusal of conditional writes as Unimplemented (Swift s3api lacks If-None-Match)', async () => {
    const conditional = new ObjectStore(new MinioObjectDriver(config({ conditionalWrites: true })));
    expect(conditional.capabilities.ifNotExists).toBe(true);
    await expectSomError(conditional.put('once/x', 'x', { ifNotExists: true }), 'Unimplemented');
    expect(await store.exists('once/x')).toBe(false);
    await conditional.close();
  });
});

describe('unreachable and silent servers', () => {
  let silent: Server;
  const sockets = new Set<Socket>();

  beforeAll(async () => {
    silent = createServer((socket) => {
      sockets.add(socket); // accepts, never answers
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });

  it('answers Unavailable when nothing listens', async () => {
    const port = await freePort();
    const down = new ObjectStore(
      new MinioObjectDriver(config({ endPoint: `http://127.0.0.1:${port}`, maxRetries: 1 })),
    );
    await expectSomError(down.head('a'), 'Unavailable');
    await down.close();
  });

  it('answers DeadlineExceeded when the server never answers within timeoutMs', async () => {
    const address = silent.address() as { port: number };
    const mute = new ObjectStore(
      new MinioObjectDriver(
        config({ endPoint: `http://127.0.0.1:${address.port}`, timeoutMs: 300, maxRetries: 0 }),
      ),
    );
    const started = Date.now();
    await expectSomError(mute.list({}), 'DeadlineExceeded');
    expect(Date.now() - started).toBeLessThan(5000);
    await mute.close();
  });
});
