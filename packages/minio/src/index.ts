/**
 * @packageDocumentation The MinIO / S3 object store adapter: {@link MinioObjectDriver} and
 * its registration {@link minioObjectStoreAdapter} (`type: "minio"`). See `docs/minio.md`.
 */
export { MinioObjectDriver } from './driver';
export { minioObjectStoreAdapter } from './adapter';
export {
  DEFAULT_MAX_RETRIES,
  DEFAULT_PART_SIZE,
  DEFAULT_TIMEOUT_MS,
  MAX_PART_SIZE,
  MIN_PART_SIZE,
  resolveCredentials,
  resolveMinioConfig,
  validateBucketName,
  type MinioConfig,
  type ResolvedMinioConfig,
  type S3Credentials,
} from './config';
export { RequestTimeoutError, S3ResponseError, s3ErrorCode } from './errors';
export { TEMP_PREFIX } from './upload';
