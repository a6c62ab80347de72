/**
 * Google credentials from a key file (a service-account key, or the `authorized_user` file
 * `gcloud auth application-default login` writes), read and checked here rather than by
 * Google's libraries, before any request: a missing, unreadable or malformed file (a private
 * key that does not parse, a missing field) gives one clear SomError naming the path and the
 * field, never any of its content (a JSON parse error would quote it) and never a bare
 * OpenSSL message. Without any credentials where none can come from the metadata server,
 * the error says how to provide them, at once instead of after the library's probes.
 */
import { createPrivateKey } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { homedir, networkInterfaces, platform } from 'node:os';
import { join } from 'node:path';
import { SomError } from '@som/core';

/** The parsed JSON of a Google credentials file, handed to the client libraries as `credentials`. */
export type GoogleCredentials = Record<string, unknown> & { type: string };

/** The string fields each type of credentials file needs. */
const REQUIRED_FIELDS: Readonly<Record<string, readonly string[]>> = {
  service_account: ['client_email', 'private_key'],
  authorized_user: ['client_id', 'client_secret', 'refresh_token'],
};

/** InvalidArgument naming the file and what is wrong with it. */
function invalid(path: string, what: string): SomError {
  return new SomError('InvalidArgument', `Google credentials file ${path} ${what}`);
}

/** Throw unless `credentials` has the fields of its type and a private key that parses. */
function checkCredentials(credentials: GoogleCredentials, path: string): void {
  for (const field of REQUIRED_FIELDS[credentials.type] ?? []) {
    const value = credentials[field];
    if (typeof value !== 'string' || value.trim() === '')
      throw invalid(path, `has no "${field}": not a complete ${credentials.type} file`);
  }
  if (typeof credentials.private_key === 'string') {
    try {
      createPrivateKey(credentials.private_key);
    } catch {
      // No cause: OpenSSL's message says nothing to a person, and the key is a secret.
      throw invalid(path, 'has a "private_key" that is not a valid PEM private key');
    }
  }
}

/**
 * Read the credentials file at `path`: PermissionDenied when it cannot be read for lack of
 * permission, InvalidArgument when it is missing or is not a complete Google credentials
 * JSON file (a service-account key needs `client_email` and a `private_key` that parses; an
 * `authorized_user` file its client id, secret and refresh token).
 */
export function loadGoogleCredentials(path: string): GoogleCredentials {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const errno = (err as NodeJS.ErrnoException).code ?? 'error';
    const code = errno === 'EACCES' || errno === 'EPERM' ? 'PermissionDenied' : 'InvalidArgument';
    throw new SomError(code, `Google credentials file ${path} cannot be read (${errno})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // No cause: the parse error would quote the file.
    throw invalid(path, 'is not JSON');
  }
  if (
    typeof parsed !== 'object' ||
    parsed === null ||
    typeof (parsed as { type?: unknown }).type !== 'string'
  ) {
    throw invalid(path, 'has no "type": not a service-account key or ADC file');
  }
  const credentials = parsed as GoogleCredentials;
  checkCredentials(credentials, path);
  return credentials;
}

/**
 * The credentials to give a Google client: from `keyFilename` when set, else from
 * `GOOGLE_APPLICATION_CREDENTIALS` when set, else undefined (the library then finds
 * Application Default Credentials: gcloud's file or the metadata server).
 */
export function googleCredentials(
  keyFilename: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): GoogleCredentials | undefined {
  const path = keyFilename ?? env.GOOGLE_APPLICATION_CREDENTIALS;
  return path ? loadGoogleCredentials(path) : undefined;
}

/** The file `gcloud auth application-default login` writes. */
export function gcloudCredentialsFile(env: NodeJS.ProcessEnv = process.env): string {
  const config =
    env.CLOUDSDK_CONFIG ??
    (platform() === 'win32'
      ? join(env.APPDATA ?? homedir(), 'gcloud')
      : join(env.HOME ?? homedir(), '.config', 'gcloud'));
  return join(config, 'application_default_credentials.json');
}

/** True when the BIOS says this is a Compute Engine machine (a GKE node too). */
function onComputeEngineHardware(): boolean {
  try {
    statSync('/sys/class/dmi/id/bios_date');
    return /Google/.test(readFileSync('/sys/class/dmi/id/bios_vendor', 'utf8'));
  } catch {
    return false;
  }
}

/**
 * True when a metadata server may give credentials: asked for (`METADATA_SERVER_DETECTION`
 * `assume-present`, `GCE_METADATA_HOST`), on Cloud Run or Cloud Functions, or on Compute
 * Engine (its BIOS, or its network interfaces' `42:01` MAC prefix); false when told there is
 * none (`METADATA_SERVER_DETECTION=none`). Decided without any request.
 */
export function metadataServerExpected(env: NodeJS.ProcessEnv = process.env): boolean {
  const detection = env.METADATA_SERVER_DETECTION?.trim().toLowerCase();
  if (detection === 'none') return false;
  if (detection === 'assume-present' || env.GCE_METADATA_HOST || env.GCE_METADATA_IP) return true;
  if (env.K_SERVICE || env.CLOUD_RUN_JOB || env.FUNCTION_NAME) return true;
  if (platform() === 'linux' && onComputeEngineHardware()) return true;
  return Object.values(networkInterfaces()).some((addresses) =>
    (addresses ?? []).some(({ mac }) => mac.startsWith('42:01')),
  );
}

/**
 * The credentials of a Google client for `what` (e.g. `datastore`), found and checked
 * before any request: `keyFilename`, else `GOOGLE_APPLICATION_CREDENTIALS`, else gcloud's
 * file (all read and checked by {@link loadGoogleCredentials}; undefined for gcloud's,
 * which the library reads itself), else undefined when the metadata server can give them
 * (see {@link metadataServerExpected}).
 * @throws SomError InvalidArgument when there are no credentials at all, saying how to give
 *   them; the errors of {@link loadGoogleCredentials} for a bad file.
 */
export function requireGoogleCredentials(
  what: string,
  keyFilename: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): GoogleCredentials | undefined {
  const explicit = googleCredentials(keyFilename, env);
  if (explicit !== undefined) return explicit;
  const gcloud = gcloudCredentialsFile(env);
  // Checked here; the library reads it again itself, as it always has.
  if (existsSync(gcloud)) loadGoogleCredentials(gcloud);
  if (existsSync(gcloud) || metadataServerExpected(env)) return undefined;
  throw new SomError(
    'InvalidArgument',
    `no Google credentials for ${what}: set "keyFilename" in its settings or GOOGLE_APPLICATION_CREDENTIALS to a service-account key file, or run "gcloud auth application-default login"`,
  );
}
