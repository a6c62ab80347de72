/**
 * Checks of files a configuration names (credential files, the recipe, the DASHER secrets
 * file) and collection of the secret values it holds, so they can be redacted from output.
 */
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { isJsonObject, type StoreConfig } from '@som/core';
import type { Secrets } from './secrets';

/** Store settings that name a credentials file. */
const CREDENTIAL_FILE_SETTINGS = ['keyFilename', 'credentialsFile'];

/** Store setting names whose values are secrets. */
const SECRET_SETTING = /secret|password|token|private|credential/i;

/** Fields of a JSON credentials file whose values are secrets. */
const SECRET_FILE_FIELDS = [
  'private_key',
  'private_key_id',
  'client_secret',
  'refresh_token',
  'refreshToken',
  'accessToken',
  'access_token',
];

/** Problem with a file som must read, or undefined when it is a readable regular file. */
export function unreadableFile(path: string, what: string): string | undefined {
  try {
    if (!statSync(path).isFile()) return `${what} ${path} is not a regular file`;
    accessSync(path, constants.R_OK);
    return undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return `${what} ${path} does not exist`;
    if (code === 'EACCES' || code === 'EPERM')
      return `${what} ${path} cannot be read (permission denied)`;
    return `${what} ${path} cannot be read (${code})`;
  }
}

/** Remember the secret fields of a JSON credentials file (never shown; unparseable files are left alone). */
function addFileSecrets(path: string, secrets: Secrets): void {
  try {
    const json: unknown = JSON.parse(readFileSync(path, 'utf8'));
    if (isJsonObject(json)) for (const field of SECRET_FILE_FIELDS) secrets.add(json[field]);
  } catch {
    // Not JSON: the adapter reports what is wrong with it, without its content.
  }
}

/**
 * Check the credential files a store names and remember its secret settings.
 * @returns the problems found, one sentence each.
 */
export function checkStoreCredentials(
  what: string,
  store: StoreConfig,
  secrets: Secrets,
): string[] {
  const problems: string[] = [];
  for (const [name, value] of Object.entries(store)) {
    if (SECRET_SETTING.test(name) && !CREDENTIAL_FILE_SETTINGS.includes(name)) secrets.add(value);
    if (!CREDENTIAL_FILE_SETTINGS.includes(name) || value === undefined) continue;
    if (typeof value !== 'string') {
      problems.push(`${what} setting "${name}" must be a file path`);
      continue;
    }
    const problem = unreadableFile(value, `${what} credentials file`);
    if (problem !== undefined) problems.push(problem);
    else addFileSecrets(value, secrets);
  }
  return problems;
}

/** Check `GOOGLE_APPLICATION_CREDENTIALS` when a Google store is used. */
export function checkGoogleCredentials(env: NodeJS.ProcessEnv, secrets: Secrets): string[] {
  const path = env.GOOGLE_APPLICATION_CREDENTIALS;
  if (path === undefined || path === '') return [];
  const problem = unreadableFile(path, 'GOOGLE_APPLICATION_CREDENTIALS file');
  if (problem !== undefined) return [problem];
  addFileSecrets(path, secrets);
  return [];
}
