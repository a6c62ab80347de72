/**
 * Google credentials from a key file (a service-account key, or the `authorized_user` file
 * `gcloud auth application-default login` writes), read here rather than by Google's
 * libraries so that a missing, unreadable or malformed file gives one clear SomError naming
 * the path and never any of its content (a JSON parse error would quote it).
 */
import { readFileSync } from 'node:fs';
import { SomError } from '@som/core';

/** The parsed JSON of a Google credentials file, handed to the client libraries as `credentials`. */
export type GoogleCredentials = Record<string, unknown> & { type: string };

/**
 * Read the credentials file at `path`: PermissionDenied when it cannot be read for lack of
 * permission, InvalidArgument when it is missing or is not a Google credentials JSON file.
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
    throw new SomError('InvalidArgument', `Google credentials file ${path} is not JSON`);
  }
  if (
    typeof parsed !== 'object' ||
    parsed === null ||
    typeof (parsed as { type?: unknown }).type !== 'string'
  ) {
    throw new SomError(
      'InvalidArgument',
      `Google credentials file ${path} has no "type": not a service-account key or ADC file`,
    );
  }
  return parsed as GoogleCredentials;
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
