/**
 * Settings of the MinIO / S3 adapter (`"objectStore": {"type": "minio", ...}`): reading
 * them from a store configuration with one InvalidArgument per bad setting, and the
 * credentials from the configuration or the environment. No message ever shows a secret.
 */
import {
  SomError,
  booleanSetting,
  integerSetting,
  invalidSetting,
  stringSetting,
  type StoreConfig,
} from '@som/core';

/** Smallest part of a multipart upload S3 accepts (except the last). */
export const MIN_PART_SIZE = 5 * 1024 * 1024;

/** Largest part S3 accepts. */
export const MAX_PART_SIZE = 5 * 1024 * 1024 * 1024;

/** Default part size: objects up to this size go in one PUT, larger ones in parts of it. */
export const DEFAULT_PART_SIZE = 16 * 1024 * 1024;

/** Default longest wait for any progress of one request, in ms. */
export const DEFAULT_TIMEOUT_MS = 60_000;

/** Default retries of a failed idempotent request (connection lost, 5xx, 429, timeout). */
export const DEFAULT_MAX_RETRIES = 2;

/** Settings of a {@link MinioObjectDriver}, as written in `som.config.json`. */
export interface MinioConfig {
  /** Always `minio`. */
  type: 'minio';
  /** Host name or IP of the server (e.g. `s3.amazonaws.com`, `127.0.0.1`), or an `http(s)://host[:port]` URL. */
  endPoint: string;
  /** Port (default 443 with SSL, 80 without; or the URL's). */
  port?: number;
  /** Use HTTPS (default true; false for an `http://` URL). */
  useSSL?: boolean;
  /** Region of the bucket (default: asked of the server once). */
  region?: string;
  /** Access key id (default: `SOM_S3_ACCESS_KEY`, then `AWS_ACCESS_KEY_ID`). */
  accessKey?: string;
  /** Secret key (default: `SOM_S3_SECRET_KEY`, then `AWS_SECRET_ACCESS_KEY`). Never shown. */
  secretKey?: string;
  /** Temporary-credentials session token (default: `SOM_S3_SESSION_TOKEN`, then `AWS_SESSION_TOKEN`). Never shown. */
  sessionToken?: string;
  /** The bucket. */
  bucket: string;
  /** Path-style URLs `host/bucket/key` (default true); false for virtual-hosted `bucket.host/key`. */
  pathStyle?: boolean;
  /** Create the bucket when it is absent (default false: a missing bucket is NotFound). */
  createBucket?: boolean;
  /** Bytes per part of a multipart upload, 5 MiB to 5 GiB (default 16 MiB). */
  partSize?: number;
  /**
   * The server enforces `If-None-Match: *` on writes (AWS S3 since 2024, recent MinIO):
   * enables create-if-absent (default false; Swift's s3api does not support it).
   */
  conditionalWrites?: boolean;
  /** Longest wait in ms for any progress of one request (default 60,000). */
  timeoutMs?: number;
  /** Retries of a failed idempotent request (default 2; 0 to fail at once). */
  maxRetries?: number;
}

/** The access key, secret key and optional session token the driver signs with. */
export interface S3Credentials {
  accessKey: string;
  secretKey: string;
  sessionToken?: string;
}

/** Settings of the driver with every default applied. */
export interface ResolvedMinioConfig {
  host: string;
  port: number;
  useSSL: boolean;
  region?: string;
  bucket: string;
  pathStyle: boolean;
  createBucket: boolean;
  partSize: number;
  conditionalWrites: boolean;
  timeoutMs: number;
  maxRetries: number;
}

const SETTINGS = new Set([
  'type',
  'endPoint',
  'port',
  'useSSL',
  'region',
  'accessKey',
  'secretKey',
  'sessionToken',
  'bucket',
  'pathStyle',
  'createBucket',
  'partSize',
  'conditionalWrites',
  'timeoutMs',
  'maxRetries',
]);

/**
 * Throw InvalidArgument unless `name` is a valid S3 bucket name: 3-63 characters of
 * lowercase letters, digits, `.` and `-`, starting and ending with a letter or digit, not
 * an IP address.
 */
export function validateBucketName(name: unknown): string {
  const shown = JSON.stringify(typeof name === 'string' ? name.slice(0, 80) : name);
  const fail = (why: string): never => {
    throw new SomError('InvalidArgument', `invalid S3 bucket name ${shown}: ${why}`);
  };
  if (typeof name !== 'string') return fail('setting "bucket" is required');
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name)) {
    fail(
      'use 3 to 63 lowercase letters, digits, "." and "-", starting and ending with a letter or digit',
    );
  }
  if (name.includes('..') || /^\d{1,3}(\.\d{1,3}){3}$/.test(name))
    fail('no ".." and not an IP address');
  return name;
}

/** Host, port and SSL from `endPoint` (a host name, or an http(s) URL with no path). */
function endpointOf(config: StoreConfig): { host: string; port?: number; useSSL?: boolean } {
  const endPoint = config.endPoint;
  if (typeof endPoint !== 'string' || endPoint === '')
    throw invalidSetting(
      config,
      'endPoint',
      'the server host name, e.g. "s3.amazonaws.com" (required)',
    );
  if (!endPoint.includes('://')) {
    if (!/^[A-Za-z0-9.-]+$|^\[[0-9A-Fa-f:.]+\]$/.test(endPoint))
      throw invalidSetting(config, 'endPoint', 'a host name or IP address without a path');
    return { host: endPoint };
  }
  const url = URL.canParse(endPoint) ? new URL(endPoint) : undefined;
  if (
    url === undefined ||
    !['http:', 'https:'].includes(url.protocol) ||
    url.pathname !== '/' ||
    url.search ||
    url.username ||
    url.password
  ) {
    throw invalidSetting(
      config,
      'endPoint',
      'a host name, or an http(s) URL with no path or credentials, e.g. "http://127.0.0.1:9000"',
    );
  }
  return {
    host: url.hostname,
    useSSL: url.protocol === 'https:',
    ...(url.port ? { port: Number(url.port) } : {}),
  };
}

/** The driver's settings from a store configuration; InvalidArgument naming the first bad one. */
export function resolveMinioConfig(config: StoreConfig): ResolvedMinioConfig {
  const unknown = Object.keys(config).filter((name) => !SETTINGS.has(name));
  if (unknown.length > 0) {
    throw new SomError(
      'InvalidArgument',
      `unknown minio setting ${unknown.map((n) => JSON.stringify(n)).join(', ')}: use ${[...SETTINGS].join(', ')}`,
    );
  }
  const endpoint = endpointOf(config);
  const useSSL = booleanSetting(config, 'useSSL') ?? endpoint.useSSL ?? true;
  const region = stringSetting(config, 'region');
  return {
    host: endpoint.host,
    port: integerSetting(config, 'port', 1, 65535) ?? endpoint.port ?? (useSSL ? 443 : 80),
    useSSL,
    ...(region === undefined ? {} : { region }),
    bucket: validateBucketName(config.bucket),
    pathStyle: booleanSetting(config, 'pathStyle') ?? true,
    createBucket: booleanSetting(config, 'createBucket') ?? false,
    partSize: integerSetting(config, 'partSize', MIN_PART_SIZE, MAX_PART_SIZE) ?? DEFAULT_PART_SIZE,
    conditionalWrites: booleanSetting(config, 'conditionalWrites') ?? false,
    timeoutMs: integerSetting(config, 'timeoutMs', 1, 24 * 3600 * 1000) ?? DEFAULT_TIMEOUT_MS,
    maxRetries: integerSetting(config, 'maxRetries', 0, 20) ?? DEFAULT_MAX_RETRIES,
  };
}

/**
 * The credentials: from the configuration, else `SOM_S3_ACCESS_KEY`/`SOM_S3_SECRET_KEY`,
 * else `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY` (a pair is taken from one place only).
 * InvalidArgument naming what is missing, never any value.
 */
export function resolveCredentials(config: StoreConfig, env: NodeJS.ProcessEnv): S3Credentials {
  const accessKey = stringSetting(config, 'accessKey');
  const secretKey = stringSetting(config, 'secretKey');
  const sessionToken = stringSetting(config, 'sessionToken');
  const sources: [string | undefined, string | undefined, string | undefined, string][] = [
    [accessKey, secretKey, sessionToken, 'settings "accessKey" and "secretKey"'],
    [
      env.SOM_S3_ACCESS_KEY,
      env.SOM_S3_SECRET_KEY,
      env.SOM_S3_SESSION_TOKEN,
      'SOM_S3_ACCESS_KEY and SOM_S3_SECRET_KEY',
    ],
    [
      env.AWS_ACCESS_KEY_ID,
      env.AWS_SECRET_ACCESS_KEY,
      env.AWS_SESSION_TOKEN,
      'AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY',
    ],
  ];
  for (const [access, secret, token, where] of sources) {
    if (!access && !secret) continue;
    if (!access || !secret) {
      throw new SomError(
        'InvalidArgument',
        `minio credentials incomplete: ${where} must both be set (${access ? 'the secret key' : 'the access key'} is missing)`,
      );
    }
    return { accessKey: access, secretKey: secret, ...(token ? { sessionToken: token } : {}) };
  }
  throw new SomError(
    'InvalidArgument',
    'minio credentials missing: set "accessKey" and "secretKey" in the configuration, or SOM_S3_ACCESS_KEY and SOM_S3_SECRET_KEY (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY) in the environment',
  );
}
