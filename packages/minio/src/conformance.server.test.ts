/**
 * The ObjectStore conformance suite against a real S3 server: OpenStack Swift with s3api,
 * started on 127.0.0.1 for this file. A small part size (5 MiB) makes the 20 MB and
 * streaming tests go through multipart uploads.
 */
import { runObjectStoreConformance } from '@som/conformance';
import { startSwiftS3, type SwiftS3Server } from '@som/testing';
import { MIN_PART_SIZE, MinioObjectDriver } from '.';

// A real Python server on a shared 2-core machine: a single request may take a while.
jest.setTimeout(30_000);

let server: SwiftS3Server | undefined;

runObjectStoreConformance({
  name: 'minio (Swift s3api)',
  async makeDriver() {
    server = await startSwiftS3();
    return new MinioObjectDriver({
      type: 'minio',
      endPoint: server.endpoint,
      region: server.region,
      accessKey: server.accessKey,
      secretKey: server.secretKey,
      bucket: 'conformance',
      createBucket: true,
      partSize: MIN_PART_SIZE,
    });
  },
  teardown: async () => server?.stop(),
});
