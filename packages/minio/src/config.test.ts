import { SomError, type StoreConfig } from '@som/core';
import { createContainer, memoryMetadataStoreAdapter, TOKENS } from '@som/core/di';
import {
  DEFAULT_PART_SIZE,
  MinioObjectDriver,
  minioObjectStoreAdapter,
  resolveCredentials,
  resolveMinioConfig,
} from '.';

const SECRET = 'sEcReT-value-that-must-not-show';

function base(overrides: Record<string, unknown> = {}): StoreConfig {
  return {
    type: 'minio',
    endPoint: 's3.example.org',
    bucket: 'radiology',
    accessKey: 'AKIA123',
    secretKey: SECRET,
    ...overrides,
  };
}

function failure(fn: () => unknown): SomError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SomError);
    expect((err as SomError).code).toBe('InvalidArgument');
    expect((err as SomError).message).not.toContain(SECRET);
    return err as SomError;
  }
  throw new Error('expected an InvalidArgument error');
}

describe('resolveMinioConfig', () => {
  it('applies the defaults: HTTPS on 443, path style, 16 MiB parts, no bucket creation, no conditional writes', () => {
    expect(resolveMinioConfig(base())).toEqual({
      host: 's3.example.org',
      port: 443,
      useSSL: true,
      bucket: 'radiology',
      pathStyle: true,
      createBucket: false,
      partSize: DEFAULT_PART_SIZE,
      conditionalWrites: false,
      timeoutMs: 60_000,
      maxRetries: 2,
    });
  });

  it('takes host, port and SSL from an endpoint URL, and explicit settings over it', () => {
    expect(resolveMinioConfig(base({ endPoint: 'http://127.0.0.1:9000' }))).toMatchObject({
      host: '127.0.0.1',
      port: 9000,
      useSSL: false,
    });
    expect(resolveMinioConfig(base({ endPoint: 'https://minio.local' }))).toMatchObject({
      host: 'minio.local',
      port: 443,
      useSSL: true,
    });
    expect(resolveMinioConfig(base({ useSSL: false }))).toMatchObject({ port: 80, useSSL: false });
    expect(
      resolveMinioConfig(base({ endPoint: 'http://127.0.0.1:9000', port: 9001 })),
    ).toMatchObject({ port: 9001 });
  });

  it.each([
    [{ endPoint: undefined }, 'endPoint'],
    [{ endPoint: 'http://host/some/path' }, 'endPoint'],
    [{ endPoint: 'ftp://host' }, 'endPoint'],
    [{ endPoint: 'https://user:pw@host' }, 'endPoint'],
    [{ bucket: undefined }, 'minio: "bucket" must be the bucket (required)'],
    [{ bucket: 'Upper_Case' }, 'Upper_Case'],
    [{ bucket: '192.168.1.1' }, 'IP address'],
    [{ port: 70000 }, 'port'],
    [{ useSSL: 'yes' }, 'useSSL'],
    [{ partSize: 1024 }, 'partSize'],
    [{ timeoutMs: 0 }, 'timeoutMs'],
    [{ maxRetries: -1 }, 'maxRetries'],
    [{ createbucket: true }, '"createbucket"'],
  ])('rejects %j naming %s', (overrides, named) => {
    expect(failure(() => resolveMinioConfig(base(overrides))).message).toContain(named);
  });
});

describe('resolveCredentials', () => {
  it('takes the configuration first, then SOM_S3_*, then AWS_*', () => {
    const env = {
      SOM_S3_ACCESS_KEY: 'som-a',
      SOM_S3_SECRET_KEY: 'som-s',
      AWS_ACCESS_KEY_ID: 'aws-a',
      AWS_SECRET_ACCESS_KEY: 'aws-s',
      AWS_SESSION_TOKEN: 'aws-t',
    };
    expect(resolveCredentials(base(), env)).toEqual({ accessKey: 'AKIA123', secretKey: SECRET });
    expect(resolveCredentials(base({ accessKey: undefined, secretKey: undefined }), env)).toEqual({
      accessKey: 'som-a',
      secretKey: 'som-s',
    });
    const awsOnly = {
      AWS_ACCESS_KEY_ID: 'aws-a',
      AWS_SECRET_ACCESS_KEY: 'aws-s',
      AWS_SESSION_TOKEN: 'aws-t',
    };
    expect(
      resolveCredentials(base({ accessKey: undefined, secretKey: undefined }), awsOnly),
    ).toEqual({ accessKey: 'aws-a', secretKey: 'aws-s', sessionToken: 'aws-t' });
  });

  it('names what is missing without showing any secret', () => {
    expect(
      failure(() => resolveCredentials(base({ accessKey: undefined, secretKey: undefined }), {}))
        .message,
    ).toContain('SOM_S3_ACCESS_KEY');
    expect(failure(() => resolveCredentials(base({ accessKey: undefined }), {})).message).toContain(
      'access key is missing',
    );
    expect(
      failure(() =>
        resolveCredentials(base({ accessKey: undefined, secretKey: undefined }), {
          AWS_SECRET_ACCESS_KEY: SECRET,
        }),
      ).message,
    ).toContain('AWS_ACCESS_KEY_ID');
    expect(failure(() => resolveCredentials(base({ secretKey: 42 }), {})).message).toContain(
      '"secretKey"',
    );
  });
});

describe('minioObjectStoreAdapter', () => {
  it('validates before anything is built, and binds a MinioObjectDriver', () => {
    const stores = (objectStore: StoreConfig) => ({
      objectStore,
      metadataStore: { type: 'memory' },
    });
    const adapters = [minioObjectStoreAdapter, memoryMetadataStoreAdapter];
    expect(
      failure(() => createContainer(stores(base({ bucket: undefined })), adapters)).message,
    ).toContain('bucket');
    const container = createContainer(stores(base()), adapters);
    const driver = container.get(TOKENS.ObjectStoreDriver);
    expect(driver).toBeInstanceOf(MinioObjectDriver);
    expect(driver.name).toBe('minio:https://s3.example.org:443/radiology');
    expect(container.get(TOKENS.ObjectStore).capabilities).toEqual({
      signedUrls: true,
      ifNotExists: false,
      copy: true,
      md5FromCaller: true,
      groupCommit: false,
    });
  });
});
