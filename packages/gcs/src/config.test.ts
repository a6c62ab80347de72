/** Settings, bucket names and credentials files: checked before any request. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, MemoryMetadataDriver, SomError } from '@som/core';
import { createContainer, memoryMetadataStoreAdapter, TOKENS } from '@som/core/di';
import { gcsConfigOf, gcsObjectStoreAdapter, GcsObjectDriver, validateBucketName } from '.';
import { googleCredentials, loadGoogleCredentials } from '@som/google';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'som-gcs-config-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function thrown(fn: () => unknown): SomError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SomError);
    return err as SomError;
  }
  throw new Error('expected a SomError');
}

describe('bucket names', () => {
  it.each([
    'radiology',
    'som-test-1',
    'a.b.c',
    'x_y',
    'abc',
    'a'.repeat(63),
    `${'a'.repeat(63)}.${'b'.repeat(63)}`,
  ])('accepts %s', (name) => {
    expect(validateBucketName(name)).toBe(name);
  });

  it.each([
    ['', 'use 3 to 63'],
    ['ab', 'use 3 to 63'],
    ['a'.repeat(64), 'use 3 to 63'],
    ['Radiology', 'lowercase'],
    ['-radiology', 'starting and ending'],
    ['radiology.', 'starting and ending'],
    ['a..b', 'dot-separated'],
    [`${'a'.repeat(64)}.b`, 'dot-separated'],
    ['192.168.1.1', 'IP address'],
    ['goog-data', 'goog'],
    ['my-google-bucket', 'google'],
    ['my-g00gle-bucket', 'google'],
    ['with space', 'lowercase'],
  ])('rejects %j (%s)', (name, why) => {
    const err = thrown(() => validateBucketName(name));
    expect(err.code).toBe('InvalidArgument');
    expect(err.message).toContain(JSON.stringify(name));
    expect(err.message).toContain(why);
  });
});

describe('settings', () => {
  it('reads every setting', () => {
    const config = gcsConfigOf({
      type: 'gcs',
      bucket: 'radiology',
      projectId: 'p',
      keyFilename: '/k.json',
      apiEndpoint: 'http://127.0.0.1:9199',
      resumableThresholdBytes: 1024,
      maxRetries: 0,
      timeoutMs: 500,
    });
    expect(config).toEqual({
      bucket: 'radiology',
      projectId: 'p',
      keyFilename: '/k.json',
      apiEndpoint: 'http://127.0.0.1:9199',
      resumableThresholdBytes: 1024,
      maxRetries: 0,
      timeoutMs: 500,
    });
  });

  it.each([
    [{ bucket: undefined }, 'bucket name'],
    [{ projectId: 7 }, '"projectId" must be a non-empty string'],
    [{ apiEndpoint: 'localhost:9199' }, '"apiEndpoint" must be an http(s) URL'],
    [{ resumableThresholdBytes: 0 }, '"resumableThresholdBytes" must be an integer of at least 1'],
    [{ maxRetries: 1.5 }, '"maxRetries" must be an integer of at least 0'],
    [{ timeoutMs: '10' }, '"timeoutMs" must be an integer of at least 1'],
  ])('rejects %j', (bad, message) => {
    const err = thrown(() =>
      gcsObjectStoreAdapter.validate?.({ type: 'gcs', bucket: 'radiology', ...bad }),
    );
    expect(err.code).toBe('InvalidArgument');
    expect(err.message).toContain(message);
  });

  it('fails when the container is made, before any request, for a bad setting', () => {
    const config = {
      objectStore: { type: 'gcs', bucket: 'Bad_Bucket' },
      metadataStore: { type: 'memory' },
    };
    expect(() =>
      createContainer(config, [gcsObjectStoreAdapter, memoryMetadataStoreAdapter]),
    ).toThrow(/invalid GCS bucket name "Bad_Bucket"/);
  });
});

describe('credentials files', () => {
  const secret =
    '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----';

  it('reads a service-account key', () => {
    const path = join(dir, 'key.json');
    writeFileSync(
      path,
      JSON.stringify({
        type: 'service_account',
        client_email: 'a@b.iam.gserviceaccount.com',
        private_key: secret,
      }),
    );
    expect(loadGoogleCredentials(path)).toMatchObject({
      type: 'service_account',
      client_email: 'a@b.iam.gserviceaccount.com',
    });
  });

  it('names a missing file', () => {
    const err = thrown(() => loadGoogleCredentials(join(dir, 'missing.json')));
    expect(err.code).toBe('InvalidArgument');
    expect(err.message).toBe(
      `Google credentials file ${join(dir, 'missing.json')} cannot be read (ENOENT)`,
    );
  });

  it('names a directory given as a file', () => {
    const err = thrown(() => loadGoogleCredentials(dir));
    expect(err.code).toBe('InvalidArgument');
    expect(err.message).toContain('(EISDIR)');
  });

  it.each([
    ['not JSON', `${secret} trailing`],
    ['JSON without a type', JSON.stringify({ private_key: secret })],
  ])('rejects a file that is %s without showing any of it', (_label, content) => {
    const path = join(dir, 'bad.json');
    writeFileSync(path, content);
    const err = thrown(() => loadGoogleCredentials(path));
    expect(err.code).toBe('InvalidArgument');
    expect(err.message).toContain(path);
    expect(`${err.message} ${String(err.cause)}`).not.toContain('PRIVATE KEY');
    expect(`${err.message} ${String(err.cause)}`).not.toContain('MIIE');
  });

  it('falls back to GOOGLE_APPLICATION_CREDENTIALS, then to none (ADC)', () => {
    const path = join(dir, 'adc.json');
    writeFileSync(path, JSON.stringify({ type: 'authorized_user', refresh_token: 'r' }));
    expect(googleCredentials(undefined, { GOOGLE_APPLICATION_CREDENTIALS: path })).toMatchObject({
      type: 'authorized_user',
    });
    expect(googleCredentials(undefined, {})).toBeUndefined();
    expect(() =>
      googleCredentials(join(dir, 'nope.json'), { GOOGLE_APPLICATION_CREDENTIALS: path }),
    ).toThrow(/nope\.json/);
  });

  it('fails when the container is made for a missing key file', () => {
    const config = {
      objectStore: { type: 'gcs', bucket: 'radiology', keyFilename: join(dir, 'gone.json') },
      metadataStore: { type: 'memory' },
    };
    expect(() =>
      createContainer(config, [gcsObjectStoreAdapter, memoryMetadataStoreAdapter]),
    ).toThrow(/gone\.json cannot be read/);
  });
});

describe('naming', () => {
  it('names a client storage.google.<bucket>', () => {
    const driver = new GcsObjectDriver({ bucket: 'radiology', apiEndpoint: 'http://127.0.0.1:1' });
    expect(
      new Client({ objectStore: driver, metadataStore: new MemoryMetadataDriver() }).toString(),
    ).toBe('storage.google.radiology');
    const container = createContainer(
      { objectStore: { type: 'gcs', bucket: 'radiology' }, metadataStore: { type: 'memory' } },
      [gcsObjectStoreAdapter, memoryMetadataStoreAdapter],
    );
    expect(String(container.get(TOKENS.Client))).toBe('storage.google.radiology');
  });
});
