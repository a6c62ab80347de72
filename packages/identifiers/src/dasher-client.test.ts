import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { SomError, type ErrorCode } from '@som/core';
import { AliasTable } from './alias-table';
import { FileAliasLookup } from './file-aliases';
import { DasherRequestBuilder } from './request-builder';
import { DasherClient, type DasherClientOptions } from './dasher-client';
import { dasherSecretsPathFromEnv } from './dasher-secrets';
import { normaliseDasherRequest } from './request';
import { parseDasherResponse } from './response';
import type { DasherRequest } from './types';
import { fakeAnswer, fakeJitter, fakeSuid, FakeDasher } from '@som/testing';

const ACCESS = `ACCESS-${randomBytes(8).toString('hex')}`;
const REFRESH = `REFRESH-${randomBytes(8).toString('hex')}`;

const request: DasherRequest = {
  identifiers: [
    {
      id: '14953772',
      id_source: 'Stanford MRN',
      id_timestamp: '1961-07-27T00:00:00Z',
      items: [
        { id: 'MCH', id_source: 'Lab Result', id_timestamp: '2010-02-04T11:50:00Z' },
        { id: 'ACC2', id_source: 'Accession' },
      ],
    },
    { id: 'p2', id_source: 'MRN', items: [] },
  ],
};

describe('DasherClient against a local DASHER', () => {
  let fake: FakeDasher;
  let dir: string;
  let secretsPath: string;
  let logs: string[];
  /** Every token value ever in play, to check nothing leaks. */
  let secrets: string[];

  beforeEach(async () => {
    fake = await FakeDasher.start(ACCESS, REFRESH);
    dir = await mkdtemp(join(tmpdir(), 'som-dasher-'));
    secretsPath = join(dir, 'secrets.json');
    await writeSecrets({
      accessToken: ACCESS,
      refreshToken: REFRESH,
      token_uri: fake.tokenUri,
      client_id: 'me@example.org',
    });
    logs = [];
    secrets = [ACCESS, REFRESH];
  });

  afterEach(async () => {
    await fake.stop();
    await rm(dir, { recursive: true, force: true });
  });

  async function writeSecrets(json: Record<string, unknown>): Promise<void> {
    await writeFile(secretsPath, JSON.stringify(json), { mode: 0o600 });
  }

  function client(options: Partial<DasherClientOptions> = {}): DasherClient {
    return new DasherClient({
      study: 'test',
      secretsPath,
      baseUrl: fake.baseUrl,
      timeoutMs: 2000,
      retry: { maxAttempts: 4, baseDelayMs: 5, maxDelayMs: 20 },
      log: (message) => logs.push(message),
      ...options,
    });
  }

  /** Assert that `promise` fails with `code`, and no token shows anywhere in the error or the logs. */
  async function failure(promise: Promise<unknown>, code: ErrorCode): Promise<SomError> {
    const err = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SomError);
    const error = err as SomError;
    expect(error.code).toBe(code);
    const everything = [
      error.message,
      error.stack ?? '',
      inspect(error, { depth: 10, showHidden: true }),
      ...logs,
    ].join('\n');
    for (const secret of [...secrets, fake.validAccessToken, fake.validRefreshToken]) {
      expect(everything).not.toContain(secret);
    }
    return error;
  }

  function expectNoSecretsInLogs(): void {
    for (const secret of [...secrets, fake.validAccessToken, fake.validRefreshToken]) {
      expect(logs.join('\n')).not.toContain(secret);
    }
  }

  it('gets deterministic aliases with the bearer token from the secrets file', async () => {
    const c = client();
    const response = await c.aliasesFor(request);
    expect(response).toEqual(
      parseDasherResponse(fakeAnswer(normaliseDasherRequest(request)), 'fake'),
    );
    expect(fake.authorizations).toEqual([`Bearer ${ACCESS}`]);
    const table = new AliasTable(response);
    expect(table.entity('14953772').suid).toBe(fakeSuid('e', '14953772'));
    expect(table.item('14953772', 'ACC2').jitter).toBe(fakeJitter('14953772')); // falls back to the entity
    expect(c.stats).toEqual({ requests: 1, retries: 0, refreshes: 0, batches: 1 });
    expect(fake.tokenHits).toBe(0);
    expect(c.endpoint).toBe(`${fake.baseUrl}/identifiers/api/v1/uid/test`);
  });

  it('on 401 refreshes the token once via token_uri, saves it to the secrets file, and retries', async () => {
    fake.validAccessToken = 'the-server-moved-on';
    secrets.push('the-server-moved-on');
    const c = client();
    const response = await c.aliasesFor(request);
    expect(response.results).toHaveLength(2);
    expect(fake.tokenHits).toBe(1);
    expect(fake.uidHits).toBe(2);
    expect(c.stats.refreshes).toBe(1);
    const saved = JSON.parse(await readFile(secretsPath, 'utf8')) as Record<string, string>;
    expect(saved).toEqual({
      accessToken: fake.validAccessToken,
      refreshToken: fake.validRefreshToken,
      token_uri: fake.tokenUri,
      client_id: 'me@example.org',
    });
    expect(saved.accessToken).toMatch(/^fresh-access-/);
    expect((await stat(secretsPath)).mode & 0o777).toBe(0o600);
    expect(logs.some((line) => line.includes('refreshing it at'))).toBe(true);
    expectNoSecretsInLogs();

    // The next call, even from a new client, uses the saved token: no second refresh.
    await client().aliasesFor(request);
    expect(fake.tokenHits).toBe(1);
    expect(fake.uidHits).toBe(3);
    for (const text of [
      String(c),
      JSON.stringify(c),
      inspect(c, { showHidden: true, depth: 10 }),
    ]) {
      for (const secret of [...secrets, saved.accessToken, saved.refreshToken])
        expect(text).not.toContain(secret);
    }
  });

  it('refreshes only once: a second 401 is PermissionDenied', async () => {
    fake.script = [{ status: 401 }, { status: 401 }];
    const err = await failure(client().aliasesFor(request), 'PermissionDenied');
    expect(err.message).toContain('DASHER rejected the access token even after refreshing it');
    expect(fake.tokenHits).toBe(1);
    expect(fake.uidHits).toBe(2);
  });

  it('reports a refused refresh as PermissionDenied and leaves the secrets file alone', async () => {
    fake.validAccessToken = 'something-else';
    fake.refreshAllowed = false;
    const before = await readFile(secretsPath, 'utf8');
    const err = await failure(client().aliasesFor(request), 'PermissionDenied');
    expect(err.message).toBe(
      `refreshing the DASHER access token at ${fake.tokenUri} failed: HTTP 400`,
    );
    expect(await readFile(secretsPath, 'utf8')).toBe(before);
    expect(fake.uidHits).toBe(1);
  });

  it('cannot refresh without a refreshToken', async () => {
    await writeSecrets({ accessToken: 'expired' });
    secrets.push('expired');
    const err = await failure(client().aliasesFor(request), 'PermissionDenied');
    expect(err.message).toContain(`secrets file ${secretsPath} has no refreshToken and token_uri`);
    expect(fake.tokenHits).toBe(0);
  });

  it('retries 503 twice then succeeds', async () => {
    fake.script = [{ status: 503 }, { status: 503 }];
    const c = client();
    const response = await c.aliasesFor(request);
    expect(response).toEqual(
      parseDasherResponse(fakeAnswer(normaliseDasherRequest(request)), 'fake'),
    );
    expect(fake.uidHits).toBe(3);
    expect(c.stats).toMatchObject({ requests: 3, retries: 2 });
    expect(
      logs.filter((line) => line.includes('HTTP 503') && line.includes('retrying in')),
    ).toHaveLength(2);
  });

  it('gives up on 5xx after maxAttempts with Unavailable', async () => {
    fake.script = Array.from({ length: 10 }, () => ({ status: 502, body: 'bad gateway' }));
    const err = await failure(
      client({ retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 } }).aliasesFor(request),
      'Unavailable',
    );
    expect(err.message).toContain('HTTP 502');
    expect(err.message).toContain('gave up after 3 attempts');
    expect(fake.uidHits).toBe(3);
  });

  it('retries 429 honouring Retry-After, and maps a lasting 429 to ResourceExhausted', async () => {
    fake.script = [{ status: 429, headers: { 'retry-after': '1' } }];
    const c = client({ retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 5000 } });
    const started = Date.now();
    await c.aliasesFor(request);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950); // waited the 1 s asked for
    expect(c.stats.retries).toBe(1);
    expect(
      logs.some((line) => line.includes('HTTP 429') && line.includes('retrying in 1000 ms')),
    ).toBe(true);
    fake.script = Array.from({ length: 4 }, () => ({ status: 429 }));
    await failure(client().aliasesFor(request), 'ResourceExhausted');
    expect(fake.uidHits).toBe(2 + 4);
  });

  it('times out a hanging server (DeadlineExceeded after every attempt), and recovers when it answers', async () => {
    fake.script = ['hang', 'hang'];
    const started = Date.now();
    const err = await failure(
      client({
        timeoutMs: 150,
        retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 5 },
      }).aliasesFor(request),
      'DeadlineExceeded',
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
    expect(err.message).toContain('no complete answer within 150 ms');
    expect(fake.uidHits).toBe(2);
    fake.script = ['hang'];
    const c = client({ timeoutMs: 150 });
    await expect(c.aliasesFor(request)).resolves.toHaveProperty('results');
    expect(c.stats.retries).toBe(1);
  });

  it('rejects malformed JSON without retrying', async () => {
    fake.script = ['malformed'];
    const err = await failure(client().aliasesFor(request), 'InvalidArgument');
    expect(err.message).toBe(
      `DASHER response from ${fake.baseUrl}/identifiers/api/v1/uid/test is not valid JSON: expected a value (object, array, string, number, true, false or null) at line 1, column 1`,
    );
    expect(fake.uidHits).toBe(1);
  });

  it('rejects a response missing a result or an item, naming it by its position', async () => {
    fake.script = ['drop-result'];
    const err = await failure(client().aliasesFor(request), 'InvalidArgument');
    expect(err.message).toContain('no result for identifier 1 of the request');
    expect(err.message).toContain(fake.baseUrl);
    fake.script = ['drop-item'];
    const err2 = await failure(client().aliasesFor(request), 'InvalidArgument');
    expect(err2.message).toContain('result 0: no result for item 1 of identifier 0 of the request');
    expect(err2.message).not.toContain('14953772');
  });

  it('maps 400 to InvalidArgument without retrying, redacting a token the server echoes', async () => {
    fake.script = ['echo-token-400'];
    const err = await failure(client().aliasesFor(request), 'InvalidArgument');
    expect(err.message).toContain('HTTP 400');
    expect(err.message).toContain('bad request from Bearer [redacted]');
    expect(fake.uidHits).toBe(1);
  });

  it('maps 403 to PermissionDenied without a refresh, and 404 to NotFound', async () => {
    fake.script = [{ status: 403 }];
    await failure(client().aliasesFor(request), 'PermissionDenied');
    expect(fake.tokenHits).toBe(0);
    expect(fake.uidHits).toBe(1);
    const err = await failure(client({ study: 'missing-study' }).aliasesFor(request), 'NotFound');
    expect(err.message).toContain('/identifiers/api/v1/uid/missing-study');
    expect(fake.uidHits).toBe(2);
  });

  it('does not follow redirects (the token goes nowhere else)', async () => {
    fake.script = [{ status: 307, headers: { location: `${fake.baseUrl}/elsewhere` } }];
    const err = await failure(client().aliasesFor(request), 'FailedPrecondition');
    expect(err.message).toContain('redirect');
    expect(fake.uidHits).toBe(1);
  });

  it('maps connection refused to Unavailable after retrying', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const c = client({
      baseUrl: `http://127.0.0.1:${port}`,
      retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2 },
    });
    const err = await failure(c.aliasesFor(request), 'Unavailable');
    expect(err.message).toContain('connection refused');
    expect(c.stats).toMatchObject({ requests: 2, retries: 1 });
  });

  it('splits large requests into batches and merges the answers', async () => {
    const big: DasherRequest = {
      identifiers: [
        {
          id: 'big',
          id_source: 'MRN',
          items: Array.from({ length: 2500 }, (_, i) => ({ id: `study-${i}`, id_source: 'Study' })),
        },
        ...Array.from({ length: 150 }, (_, i) => ({
          id: `p${i}`,
          id_source: 'MRN',
          items: [
            { id: 'a', id_source: 'S' },
            { id: 'b', id_source: 'S' },
          ],
        })),
      ],
    };
    const c = client();
    const table = new AliasTable(await c.aliasesFor(big));
    expect(fake.answered.length).toBeGreaterThan(3);
    for (const sent of fake.answered) {
      expect(sent.identifiers.length).toBeLessThanOrEqual(100);
      for (const identifier of sent.identifiers)
        expect(identifier.items.length).toBeLessThanOrEqual(1000);
      expect(sent.identifiers.reduce((n, i) => n + i.items.length, 0)).toBeLessThanOrEqual(1000);
    }
    expect(c.stats.batches).toBe(fake.answered.length);
    expect(table.size).toBe(151);
    expect(table.entity('big').items).toHaveLength(2500);
    expect(table.item('big', 'study-2499').suid).toBe(fakeSuid('i', 'big/study-2499'));
    expect(table.item('p149', 'b').suid).toBe(fakeSuid('i', 'p149/b'));
  });

  it('sends nothing for an empty request', async () => {
    await expect(client().aliasesFor({ identifiers: [] })).resolves.toEqual({ results: [] });
    expect(fake.uidHits).toBe(0);
  });

  it('names the secrets file when it is missing or invalid, never quoting it', async () => {
    await rm(secretsPath);
    const missing = await failure(client().aliasesFor(request), 'NotFound');
    expect(missing.message).toBe(`DASHER secrets file ${secretsPath} does not exist`);
    await writeFile(secretsPath, `{"accessToken": "${ACCESS}" "refreshToken": "${REFRESH}"}`);
    const invalid = await failure(client().aliasesFor(request), 'InvalidArgument');
    expect(invalid.message).toContain(`DASHER secrets file ${secretsPath} is not valid JSON`);
    await writeSecrets({ refreshToken: REFRESH });
    const noAccess = await failure(client().aliasesFor(request), 'InvalidArgument');
    expect(noAccess.message).toContain('no accessToken');
    expect(fake.uidHits).toBe(0);
  });

  it('warns when the secrets file is readable by others', async () => {
    await writeFile(secretsPath, JSON.stringify({ accessToken: ACCESS }), { mode: 0o644 });
    await chmod(secretsPath, 0o644);
    await client().aliasesFor(request);
    expect(logs.some((line) => line.includes('readable by group or others'))).toBe(true);
  });

  it('asks sendit-style (patients by MRN, items by accession number) and every file gets its aliases', async () => {
    fake.style = { jitterAsText: true };
    const builder = new DasherRequestBuilder({
      itemLevel: 'accession',
      entitySource: 'Stanford MRN',
      itemSource: 'DCM Accession #',
    });
    const files = ['11111111', '22222222', '33333333'].flatMap((mrn, p) =>
      [0, 1, 2, 3].map((i) => ({
        entityId: mrn,
        // Two accessions per patient, two images each; the third patient's last images have none.
        ...(p === 2 && i >= 2 ? {} : { accessionNumber: `54${p}000${i >> 1}` }),
        studyInstanceUid: `1.2.840.99.${p}.${i >> 1}`,
        sopInstanceUid: `1.2.840.99.${p}.${i >> 1}.${i}`,
        entity: { timestamp: '1961-07-27T00:00:00Z' },
        study: { timestamp: `2010-02-0${i + 1}T11:50:00-0700` },
      })),
    );
    for (const file of files) builder.add(file);
    const c = client();
    const table = await AliasTable.fromSource(c, builder.request());
    expect(fake.answered).toHaveLength(1);
    expect(fake.answered[0]?.identifiers.map((i) => i.items.map((x) => x.id_source))).toEqual([
      ['DCM Accession #', 'DCM Accession #'],
      ['DCM Accession #', 'DCM Accession #'],
      ['DCM Accession #'],
    ]);
    const lookup = new FileAliasLookup(table, files);
    for (const file of files) {
      const aliases = lookup.aliasesOf(file);
      expect(aliases.entity.suid).toBe(fakeSuid('e', file.entityId));
      expect(aliases.entity.jitter).toBe(fakeJitter(file.entityId));
      if (file.accessionNumber === undefined) {
        expect(aliases.item).toBeUndefined();
        continue;
      }
      expect(aliases.matchedBy).toBe('accession');
      expect(aliases.item?.suid).toBe(fakeSuid('i', `${file.entityId}/${file.accessionNumber}`));
      expect(aliases.item?.jitter).toBe(fakeJitter(file.entityId));
      // The accession's first file gave its timestamp: 2010-02-01 or 2010-02-03, 11:50 -0700.
      const day = file.accessionNumber.endsWith('0') ? 1 : 3;
      const shifted = new Date(Date.UTC(2010, 1, day + fakeJitter(file.entityId)));
      expect(aliases.item?.jittered_timestamp).toBe(
        `${shifted.toISOString().slice(0, 10)}T11:50:00-0700`,
      );
    }
  });

  it('is refused by DASHER for a request it would not take (the fake checks like DASHER)', async () => {
    const noSource = { identifiers: [{ id: 'p1', id_source: '', items: [] }] };
    const err = await failure(client().aliasesFor(noSource), 'InvalidArgument');
    expect(err.message).toContain('HTTP 400');
    expect(err.message).toContain('without id or id_source');
  });

  it('validates its options', () => {
    expect(() => client({ study: 'a/b' })).toThrow('invalid DASHER study');
    expect(() => client({ baseUrl: 'ftp://x' })).toThrow('invalid DASHER base URL');
    expect(() => client({ timeoutMs: 0 })).toThrow('timeoutMs must be positive');
    expect(() => client({ retry: { maxAttempts: 0 } })).toThrow('invalid retry policy');
  });
});

describe('dasherSecretsPathFromEnv', () => {
  it('prefers SOM_DASHER_SECRETS, then STANFORD_CLIENT_SECRETS', () => {
    expect(
      dasherSecretsPathFromEnv({ SOM_DASHER_SECRETS: '/a', STANFORD_CLIENT_SECRETS: '/b' }),
    ).toBe('/a');
    expect(dasherSecretsPathFromEnv({ STANFORD_CLIENT_SECRETS: '/b' })).toBe('/b');
    expect(dasherSecretsPathFromEnv({})).toBeUndefined();
  });
});
