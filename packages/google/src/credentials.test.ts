/** Credentials files and where credentials come from: checked before any request. */
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SomError } from '@som/core';
import {
  gcloudCredentialsFile,
  googleCredentials,
  loadGoogleCredentials,
  metadataServerExpected,
  requireGoogleCredentials,
} from './credentials';

const dir = mkdtempSync(join(tmpdir(), 'som-google-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The SomError `fn` throws (the test fails when it throws none). */
function thrown(fn: () => unknown): SomError {
  const error = ((): unknown => {
    try {
      return fn();
    } catch (err) {
      return err;
    }
  })();
  expect(error).toBeInstanceOf(SomError);
  return error as SomError;
}

const privateKey = generateKeyPairSync('rsa', { modulusLength: 1024 })
  .privateKey.export({ type: 'pkcs8', format: 'pem' })
  .toString();
const cutKey =
  '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----';

function file(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

const serviceAccount = (key = privateKey): Record<string, string> => ({
  type: 'service_account',
  client_email: 'a@b.iam.gserviceaccount.com',
  private_key: key,
});

describe('loadGoogleCredentials', () => {
  it('reads a service-account key and an authorized_user file', () => {
    expect(loadGoogleCredentials(file('key.json', serviceAccount()))).toMatchObject({
      type: 'service_account',
      client_email: 'a@b.iam.gserviceaccount.com',
    });
    const user = {
      type: 'authorized_user',
      client_id: 'i',
      client_secret: 's',
      refresh_token: 'r',
    };
    expect(loadGoogleCredentials(file('adc.json', user))).toMatchObject(user);
  });

  it('names a missing file and a directory given as a file', () => {
    const missing = thrown(() => loadGoogleCredentials(join(dir, 'missing.json')));
    expect(missing.code).toBe('InvalidArgument');
    expect(missing.message).toBe(
      `Google credentials file ${join(dir, 'missing.json')} cannot be read (ENOENT)`,
    );
    expect(thrown(() => loadGoogleCredentials(dir)).message).toContain('(EISDIR)');
  });

  it.each([
    ['not JSON', `${privateKey} trailing`, 'is not JSON'],
    ['JSON without a type', { private_key: privateKey }, 'has no "type"'],
    ['a key without its email', { ...serviceAccount(), client_email: '' }, 'has no "client_email"'],
    [
      'a key whose private key does not parse',
      serviceAccount(cutKey),
      'not a valid PEM private key',
    ],
    [
      'a user file without its secret',
      { type: 'authorized_user', client_id: 'i', refresh_token: 'r' },
      'has no "client_secret"',
    ],
  ])(
    'rejects %s, naming the file and the field without showing any of it',
    (_label, content, why) => {
      const path = file('bad.json', content);
      const err = thrown(() => loadGoogleCredentials(path));
      expect(err.code).toBe('InvalidArgument');
      expect(err.message).toContain(path);
      expect(err.message).toContain(why);
      const shown = `${err.message} ${String(err.cause)}`;
      for (const secret of ['PRIVATE KEY', 'MII', 'DECODER', 'routines'])
        expect(shown).not.toContain(secret);
    },
  );
});

describe('where credentials come from', () => {
  const none = { METADATA_SERVER_DETECTION: 'none', HOME: join(dir, 'home') };

  it('takes keyFilename, then GOOGLE_APPLICATION_CREDENTIALS', () => {
    const key = file('first.json', serviceAccount());
    const other = file('other.json', {
      ...serviceAccount(),
      client_email: 'o@b.iam.gserviceaccount.com',
    });
    expect(googleCredentials(undefined, { GOOGLE_APPLICATION_CREDENTIALS: key })).toMatchObject({
      client_email: 'a@b.iam.gserviceaccount.com',
    });
    expect(
      requireGoogleCredentials('x', other, { ...none, GOOGLE_APPLICATION_CREDENTIALS: key }),
    ).toMatchObject({
      client_email: 'o@b.iam.gserviceaccount.com',
    });
    expect(googleCredentials(undefined, {})).toBeUndefined();
    expect(() =>
      googleCredentials(join(dir, 'nope.json'), { GOOGLE_APPLICATION_CREDENTIALS: key }),
    ).toThrow(/nope\.json/);
  });

  it('says at once how to give credentials when there are none', () => {
    const err = thrown(() => requireGoogleCredentials('datastore', undefined, none));
    expect(err.code).toBe('InvalidArgument');
    expect(err.message).toMatch(/^no Google credentials for datastore: /);
    expect(err.message).toContain('GOOGLE_APPLICATION_CREDENTIALS');
    expect(err.message).toContain('gcloud auth application-default login');
  });

  it("checks gcloud's file and leaves reading it to the library", () => {
    const env = { ...none, CLOUDSDK_CONFIG: join(dir, 'gcloud') };
    mkdirSync(join(dir, 'gcloud'), { recursive: true });
    expect(gcloudCredentialsFile(env)).toBe(
      join(dir, 'gcloud', 'application_default_credentials.json'),
    );
    writeFileSync(gcloudCredentialsFile(env), JSON.stringify({ type: 'authorized_user' }));
    expect(thrown(() => requireGoogleCredentials('x', undefined, env)).message).toContain(
      'client_id',
    );
    const user = {
      type: 'authorized_user',
      client_id: 'i',
      client_secret: 's',
      refresh_token: 'r',
    };
    writeFileSync(gcloudCredentialsFile(env), JSON.stringify(user));
    expect(requireGoogleCredentials('x', undefined, env)).toBeUndefined();
  });

  it('relies on a metadata server only where one is said or known to be', () => {
    expect(metadataServerExpected({ METADATA_SERVER_DETECTION: 'none', K_SERVICE: 's' })).toBe(
      false,
    );
    expect(metadataServerExpected({ METADATA_SERVER_DETECTION: 'assume-present' })).toBe(true);
    expect(metadataServerExpected({ CLOUD_RUN_JOB: 'job', METADATA_SERVER_DETECTION: '' })).toBe(
      true,
    );
    expect(
      requireGoogleCredentials('x', undefined, { HOME: none.HOME, K_SERVICE: 'svc' }),
    ).toBeUndefined();
  });
});
