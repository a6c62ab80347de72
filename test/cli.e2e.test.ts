/**
 * The real `som` binary, spawned as a process, on the embedded default (fs objects and
 * SQLite records under ./som-data of a temporary working directory).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FakeDasher, fakeSuid } from '@som/testing';
import {
  PYDICOM_FILES,
  SAMPLE,
  dasherResults,
  json,
  makeFixtures,
  removeDir,
  som,
  tempDir,
  type DasherRequestIdentifiers,
  type JsonReport,
} from './fixtures/som';

jest.setTimeout(60_000);

const md5 = (path: string): string => createHash('md5').update(readFileSync(path)).digest('hex');

interface Record {
  uid: string;
  [field: string]: unknown;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}

describe('som on the embedded default', () => {
  let cwd: string;
  let fixtures: string;
  beforeAll(() => {
    fixtures = tempDir('fixtures');
    makeFixtures('mixed', join(fixtures, 'mixed'));
  });
  afterAll(() => removeDir(fixtures));
  beforeEach(() => {
    cwd = tempDir('cwd');
  });
  afterEach(() => removeDir(cwd));

  it('documents every command and flag', async () => {
    const help = await som(['--help'], { cwd });
    expect(help.code).toBe(0);
    for (const command of [
      'upload',
      'deid',
      'identifiers',
      'ls',
      'search',
      'get',
      'verify',
      'serve',
    ])
      expect(help.stdout).toContain(command);
    for (const text of [
      '--config',
      '--object-store',
      '--metadata-store',
      '--data-dir',
      'SOM_SECRET',
      'SOM_OBJECT_STORE',
      'Exit codes',
    ])
      expect(help.stdout).toContain(text);
    const upload = await som(['upload', '--help'], { cwd });
    for (const flag of [
      '--collection',
      '--recipe',
      '--ids',
      '--concurrency',
      '--dry-run',
      '--metadata',
      '--json',
      '--secret',
      '--data-dir',
      '--functions',
      '--vars',
      '--pixel-filter',
      '--pixel-text',
    ])
      expect(upload.stdout).toContain(flag);
    const deid = await som(['deid', '--help'], { cwd });
    for (const flag of ['--out', '--recipe', '--ids', '--secret', '--pixel-filter', '--pixel-text'])
      expect(deid.stdout).toContain(flag);
    const search = await som(['search', '--help'], { cwd });
    for (const flag of [
      '--kind',
      '--collection',
      '--entity',
      '--limit',
      '--json',
      'StudyDate="20100101"',
    ])
      expect(search.stdout).toContain(flag);
    expect((await som(['get', '--help'], { cwd })).stdout).toContain('--out');
    expect((await som(['verify', '--help'], { cwd })).stdout).toMatch(
      /--repair[\s\S]*--collection[\s\S]*--deep/,
    );
    expect((await som(['serve', '--help'], { cwd })).stdout).toMatch(
      /--host[\s\S]*--port[\s\S]*--token[\s\S]*SOM_SERVE_TOKEN[\s\S]*--no-auth[\s\S]*--cors[\s\S]*--viewer[\s\S]*--previews/,
    );
    const wrong = await som(['upload', 'x'], { cwd });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain("required option '--collection <uid>' not specified");
  });

  it('uploads the sample, lists, searches, gets it back, and a rerun changes nothing', async () => {
    const first = await som(
      ['upload', SAMPLE, '--collection', 'demo', '--metadata', 'Site=Springfield', 'Cohort=7'],
      { cwd },
    );
    expect(first.stderr).toContain('created the pseudonymisation key');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('som: upload to collection demo: 7 files: 7 written');
    expect(statSync(join(cwd, 'som-data', 'pseudonym.key')).mode & 0o777).toBe(0o600);
    expect(existsSync(join(cwd, 'som-data', 'som.db'))).toBe(true);
    expect(readdirSync(join(cwd, 'som-data', 'objects')).length).toBeGreaterThan(0);

    const collections = json<Record[]>(await som(['ls', '--json'], { cwd }));
    expect(collections.map((c) => c.uid)).toEqual(['demo']);
    const entities = json<Record[]>(await som(['ls', 'demo', '--json'], { cwd }));
    expect(entities).toHaveLength(3);
    expect(entities.map((e) => e.Modalities).sort()).toEqual(['CT', 'CT,MR', 'MR']);
    const mixed = entities.find((e) => e.Modalities === 'CT,MR') as Record;
    expect(mixed).toMatchObject({ NumberOfImages: 2, NumberOfStudies: 2 });
    const images = json<Record[]>(await som(['ls', 'demo', mixed.uid, '--json'], { cwd }));
    expect(images).toHaveLength(2);
    expect(images[0]).toMatchObject({
      contentType: 'application/dicom',
      Site: 'Springfield',
      Cohort: 7,
      Rows: 64,
    });
    expect((await som(['ls', 'demo', mixed.uid], { cwd })).stdout.trim().split('\n')).toHaveLength(
      2,
    );

    const ct = json<Record[]>(await som(['search', 'Modality=CT', '--json'], { cwd }));
    expect(ct).toHaveLength(4);
    expect(ct.every((r) => r.Modality === 'CT' && /^2\.25\.\d+$/.test(r.uid))).toBe(true);
    expect(
      json<Record[]>(
        await som(['search', 'Modality=CT', 'BodyPartExamined=CHEST', '--json'], { cwd }),
      ),
    ).toHaveLength(3);
    expect(
      json<Record[]>(await som(['search', 'Cohort=7', 'Rows>=64', '--json'], { cwd })),
    ).toHaveLength(7);
    expect(json<Record[]>(await som(['search', 'Cohort="7"', '--json'], { cwd }))).toHaveLength(0);
    expect(
      json<Record[]>(
        await som(['search', '--kind', 'entity', 'Modalities=CT,MR', '--json'], { cwd }),
      ).map((e) => e.uid),
    ).toEqual([mixed.uid]);
    expect(
      json<Record[]>(
        await som(['search', '--collection', 'demo', '--entity', mixed.uid, '--json'], { cwd }),
      ),
    ).toHaveLength(2);
    const limited = await som(['search', 'Modality=CT', '--limit', '2'], { cwd });
    expect(limited.stdout.trim().split('\n')).toHaveLength(2);
    expect(limited.stderr).toContain('more match (raise --limit)');
    const bad = await som(['search', 'Modality'], { cwd });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('invalid search term "Modality"');

    const out = join(cwd, 'got');
    const got = await som(['get', 'demo', mixed.uid, '--out', out], { cwd });
    expect(got.code).toBe(0);
    const downloaded = filesUnder(out);
    expect(downloaded).toEqual(images.map((i) => `${mixed.uid}/${i.uid}.dcm`).sort());
    for (const image of images)
      expect(md5(join(out, mixed.uid, `${image.uid}.dcm`))).toBe(image.md5);
    const one = await som(
      ['get', 'demo', mixed.uid, String(images[0]?.uid), '--out', join(cwd, 'one'), '--json'],
      { cwd },
    );
    expect(json<{ outcome: string }[]>(one)).toEqual([
      expect.objectContaining({ outcome: 'written' }),
    ]);
    const again = await som(['get', 'demo', mixed.uid, '--out', out, '--json'], { cwd });
    expect(json<{ outcome: string }[]>(again).map((r) => r.outcome)).toEqual([
      'unchanged',
      'unchanged',
    ]);

    const rerun = await som(
      [
        'upload',
        SAMPLE,
        '--collection',
        'demo',
        '--metadata',
        'Site=Springfield',
        'Cohort=7',
        '--json',
      ],
      { cwd },
    );
    expect(rerun.code).toBe(0);
    expect(json<JsonReport>(rerun).summary.counts).toMatchObject({ written: 0, unchanged: 7 });
    const verify = await som(['verify'], { cwd });
    expect(verify.code).toBe(0);
    expect(verify.stderr).toContain('verified 7 images: no problems');
    const missing = await som(['ls', 'nosuch'], { cwd });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('som: error: collection nosuch not found\n');
  });

  it('reports exactly the bad files of a mixed folder, uploads the rest, and exits 1', async () => {
    const result = await som(
      ['upload', join(fixtures, 'mixed'), 'missing-path', '--collection', 'mixed', '--json'],
      { cwd },
    );
    expect(result.code).toBe(1);
    const report = json<JsonReport>(result);
    const outcomes = Object.fromEntries(
      report.files.map((f) => [
        f.path.replace(`${fixtures}/mixed/`, ''),
        [f.outcome, f.reason ?? ''],
      ]),
    );
    expect(outcomes).toEqual({
      'good/a1.dcm': ['written', ''],
      'good/a2': ['written', ''],
      'good/nested/c1.dcm': ['written', ''],
      'good/nested/c2.dcm': ['written', ''],
      'big-header.dcm': ['written', ''],
      'bad/corrupt.dcm': ['failed', expect.stringContaining('truncated')],
      'bad/garbage.dcm': ['failed', expect.stringContaining('past the end of its file')],
      'bad/no-patient-id.dcm': ['failed', 'no PatientID, cannot tell which alias applies'],
      'good/thumbnail.jpg': ['skipped-not-DICOM', ''],
      'notes.txt': ['skipped-not-DICOM', ''],
      'missing-path': ['failed', 'does not exist'],
    });
    expect(report.summary).toMatchObject({
      files: 11,
      ok: false,
      counts: { written: 5, failed: 4, 'skipped-not-DICOM': 2 },
    });
    for (const name of [
      'corrupt.dcm',
      'garbage.dcm',
      'no-patient-id.dcm',
      'notes.txt',
      'thumbnail.jpg',
      'missing-path',
    ])
      expect(result.stderr).toContain(name);
    const plain = await som(['upload', join(fixtures, 'mixed'), '--collection', 'mixed'], { cwd });
    expect(plain.code).toBe(1);
    expect(plain.stdout).toContain('5 unchanged');
    expect(plain.stdout).toMatch(/failed {2}\S*bad\/corrupt\.dcm: /);
  });

  it('de-identifies a mixed folder into mirrored paths, fail closed, with its report', async () => {
    const out = join(cwd, 'out');
    const loose = join(fixtures, 'mixed', 'good', 'nested', 'c1.dcm');
    const result = await som(['deid', join(fixtures, 'mixed'), loose, '--out', out], { cwd });
    expect(result.code).toBe(1);
    expect(filesUnder(out)).toEqual([
      'big-header.dcm',
      'c1.dcm',
      'good/a1.dcm',
      'good/a2',
      'good/nested/c1.dcm',
      'good/nested/c2.dcm',
      'som-report.json',
    ]);
    const report = JSON.parse(readFileSync(join(out, 'som-report.json'), 'utf8')) as JsonReport;
    expect(report.files).toHaveLength(11);
    const byPath = Object.fromEntries(
      report.files.map((f) => [f.path.replace(`${fixtures}/mixed/`, ''), f]),
    );
    expect(byPath['bad/corrupt.dcm']).toMatchObject({
      outcome: 'failed',
      reason: expect.stringContaining('truncated'),
    });
    expect(byPath['bad/no-patient-id.dcm']).toMatchObject({ outcome: 'failed' });
    expect(byPath['notes.txt']).toMatchObject({ outcome: 'skipped-not-DICOM' });
    expect(byPath['good/a1.dcm']).toMatchObject({
      outcome: 'written',
      output: 'good/a1.dcm',
      entity: expect.any(String),
      item: expect.any(String),
    });
    expect(byPath['good/a2']?.entity).toBe(byPath['good/a1.dcm']?.entity);
    expect(byPath['good/a2']?.item).toBe(byPath['good/a1.dcm']?.item);
    // The file given directly lands at the top; the same file walked keeps its relative path.
    expect(
      report.files
        .filter((f) => f.path === loose)
        .map((f) => f.output)
        .sort(),
    ).toEqual(['c1.dcm', 'good/nested/c1.dcm']);
    const text = readFileSync(join(out, 'good', 'a1.dcm')).toString('latin1');
    for (const phi of ['Doe^Jane', 'SAMPLE-MRN-1001', '19640312', 'Elm Street'])
      expect(text).not.toContain(phi);
    expect(readdirSync(out).filter((n) => n.includes('.som-'))).toEqual([]);
    // The same files again: identical bytes, so nothing is rewritten.
    const again = await som(['deid', join(fixtures, 'mixed'), '--out', out, '--json'], { cwd });
    expect(json<JsonReport>(again).summary.counts).toMatchObject({
      unchanged: 5,
      written: 0,
      failed: 3,
    });
  });

  it('prints the identifiers as a DASHER request body', async () => {
    const result = await som(['identifiers', SAMPLE], { cwd });
    expect(result.code).toBe(0);
    const request = json<{
      identifiers: {
        id: string;
        id_source: string;
        items: { id: string; id_timestamp?: string }[];
      }[];
    }>(result);
    expect(request.identifiers.map((i) => [i.id, i.id_source, i.items.length])).toEqual([
      ['SAMPLE-MRN-1001', 'DICOM PatientID', 1],
      ['SAMPLE-MRN-1002', 'DICOM PatientID', 1],
      ['SAMPLE-MRN-1003', 'DICOM PatientID', 2],
    ]);
    expect(request.identifiers[0]?.items[0]?.id_timestamp).toBe('2010-03-15T08:15:00');
    expect(result.stderr).toContain('7 DICOM files: 3 patients, 4 studies');
  });

  it('takes aliases from a DASHER response file and fails only the files it has none for', async () => {
    const request = json<DasherRequestIdentifiers>(await som(['identifiers', SAMPLE], { cwd }));
    const answered = dasherResults(request.identifiers.slice(0, 2));
    writeFileSync(join(cwd, 'ids.json'), JSON.stringify({ results: answered }));
    const result = await som(
      ['upload', SAMPLE, '--collection', 'dasher', '--ids', 'ids.json', '--json'],
      { cwd },
    );
    expect(result.code).toBe(1);
    const report = json<JsonReport>(result);
    expect(
      new Set(report.files.filter((f) => f.outcome === 'written').map((f) => f.entity)),
    ).toEqual(new Set(['patient-0', 'patient-1']));
    expect(report.files.filter((f) => f.outcome === 'failed').map((f) => f.reason)).toEqual([
      'ids.json has no alias for the patient of this file',
      'ids.json has no alias for the patient of this file',
    ]);
    expect(result.stdout + result.stderr).not.toContain('SAMPLE-MRN-1003');
    writeFileSync(join(cwd, 'bad-ids.json'), '{"results": [{"id": "x"}]');
    const bad = await som(['upload', SAMPLE, '--collection', 'dasher', '--ids', 'bad-ids.json'], {
      cwd,
    });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(
      /bad-ids\.json is not valid JSON: unexpected end of input at line 1, column \d+/,
    );
  });

  it('takes aliases from the DASHER service when configured, refreshing its token, never printing it', async () => {
    const dasher = await FakeDasher.start('fresh-access-token-1', 'refresh-token-secret-1');
    try {
      const secrets = join(cwd, 'dasher.json');
      const stale = 'stale-access-token-0';
      writeFileSync(
        secrets,
        JSON.stringify({
          accessToken: stale,
          refreshToken: 'refresh-token-secret-1',
          token_uri: dasher.tokenUri,
        }),
        { mode: 0o600 },
      );
      const env = {
        SOM_DASHER_URL: dasher.baseUrl,
        SOM_DASHER_STUDY: 'test',
        SOM_DASHER_SECRETS: secrets,
      };
      const result = await som(['upload', SAMPLE, '--collection', 'dasher', '--json'], {
        cwd,
        env,
      });
      expect(result.code).toBe(0);
      const entities = new Set(json<JsonReport>(result).files.map((f) => f.entity));
      expect(entities).toEqual(
        new Set(
          ['SAMPLE-MRN-1001', 'SAMPLE-MRN-1002', 'SAMPLE-MRN-1003'].map((id) => fakeSuid('e', id)),
        ),
      );
      expect(dasher.tokenHits).toBe(1);
      expect(dasher.answered).toHaveLength(1);
      const printed = result.stdout + result.stderr;
      for (const token of [
        stale,
        'refresh-token-secret-1',
        dasher.validAccessToken,
        dasher.validRefreshToken,
      ])
        expect(printed).not.toContain(token);
      dasher.script = [
        { status: 503 },
        { status: 503 },
        { status: 503 },
        { status: 503 },
        { status: 503 },
      ];
      const down = await som(['upload', SAMPLE, '--collection', 'dasher'], { cwd, env });
      expect(down.code).toBe(1);
      expect(down.stderr).toMatch(/som: error: .*HTTP 503/);
    } finally {
      await dasher.stop();
    }
  });

  it('verify finds objects without records, exits 1, and --repair rebuilds searchable records', async () => {
    expect((await som(['upload', SAMPLE, '--collection', 'demo'], { cwd })).code).toBe(0);
    // The same objects seen with an empty metadata store: every record is missing.
    const empty = ['--metadata-store', JSON.stringify({ type: 'sqlite', path: 'other.db' })];
    const found = await som(['verify', '--json', ...empty], { cwd });
    expect(found.code).toBe(1);
    const report = json<{
      images: number;
      problems: { type: string; repaired: boolean }[];
      remaining: number;
    }>(found);
    expect(report.problems.filter((p) => p.type === 'orphan-object')).toHaveLength(7);
    expect(report.problems.filter((p) => p.type === 'missing-parent').length).toBeGreaterThan(0);
    expect(report.remaining).toBe(report.problems.length);
    const repaired = await som(['verify', '--repair', ...empty], { cwd });
    expect(repaired.code).toBe(0);
    expect(repaired.stdout).toMatch(/^repaired {2}orphan-object {2}Collection\/demo\/Entity\//m);
    expect(
      json<Record[]>(await som(['search', 'Modality=CT', '--json', ...empty], { cwd })),
    ).toHaveLength(4);
    // The entity records it created carry the aggregates an upload writes.
    const entities = json<Record[]>(await som(['ls', 'demo', '--json', ...empty], { cwd }));
    const original = json<Record[]>(await som(['ls', 'demo', '--json'], { cwd }));
    const aggregates = (records: Record[]): unknown[] =>
      records.map(({ uid, Modalities, NumberOfStudies, NumberOfImages, StudyDates }) => ({
        uid,
        Modalities,
        NumberOfStudies,
        NumberOfImages,
        StudyDates,
      }));
    expect(aggregates(entities)).toEqual(aggregates(original));
    expect(entities.every((e) => typeof e.NumberOfImages === 'number')).toBe(true);
    expect((await som(['verify', ...empty], { cwd })).code).toBe(0);
  });

  it("uploads pydicom's test files deterministically: every failure named, the rerun all unchanged", async () => {
    const first = await som(['upload', PYDICOM_FILES, '--collection', 'pydicom', '--json'], {
      cwd,
    });
    expect(first.code).toBe(1);
    const report = json<JsonReport>(first);
    expect(report.summary.counts.written).toBeGreaterThan(20);
    // Most of pydicom's test files lack ImageType or are secondary captures: the default
    // pixel filter quarantines them, naming its section and label.
    expect(report.summary.counts.quarantined).toBeGreaterThan(20);
    for (const entry of report.files) {
      if (entry.outcome === 'failed') expect(entry.reason).toMatch(/\w{8}/);
      else if (entry.outcome === 'skipped') expect(entry.reason).toContain('DICOMDIR');
      else if (entry.outcome === 'quarantined')
        expect(entry.quarantine).toMatchObject({
          section: expect.any(String),
          label: expect.any(String),
        });
      else expect(['written', 'skipped-not-DICOM']).toContain(entry.outcome);
    }
    expect(report.files.find((f) => f.path.endsWith('/README.txt'))?.outcome).toBe(
      'skipped-not-DICOM',
    );
    const again = json<JsonReport>(
      await som(['upload', PYDICOM_FILES, '--collection', 'pydicom', '--json'], { cwd }),
    );
    expect(again.summary.counts).toEqual({
      ...report.summary.counts,
      written: 0,
      unchanged: report.summary.counts.written,
    });
    const written = report.files
      .filter((f) => f.outcome === 'written')
      .map((f) => [f.path, f.entity, f.image]);
    const unchanged = again.files
      .filter((f) => f.outcome === 'unchanged')
      .map((f) => [f.path, f.entity, f.image]);
    expect(unchanged.sort()).toEqual(written.sort());
    const key = readFileSync(join(cwd, 'som-data', 'pseudonym.key'), 'utf8').trim();
    expect(
      first.stdout +
        first.stderr +
        readFileSync(join(cwd, 'som-data', 'som.db')).toString('latin1'),
    ).not.toContain(key);
  });

  it('writes nothing on a dry run', async () => {
    const result = await som(['upload', SAMPLE, '--collection', 'demo', '--dry-run', '--json'], {
      cwd,
    });
    expect(result.code).toBe(0);
    expect(json<JsonReport>(result).summary.counts).toMatchObject({ 'would-write': 7 });
    expect(result.stderr).toContain('this dry run uses a temporary key');
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('keeps aliases with the same secret, and never prints it', async () => {
    const secret = 'correct-horse-battery-staple-and-more';
    const a = json<JsonReport>(
      await som(['upload', SAMPLE, '--collection', 'a', '--secret', secret, '--json'], { cwd }),
    );
    const b = await som(['upload', SAMPLE, '--collection', 'b', '--json'], {
      cwd,
      env: { SOM_SECRET: secret },
    });
    expect(
      json<JsonReport>(b)
        .files.map((f) => f.entity)
        .sort(),
    ).toEqual(a.files.map((f) => f.entity).sort());
    const c = json<JsonReport>(
      await som(['upload', SAMPLE, '--collection', 'c', '--json'], { cwd }),
    );
    expect(c.files.map((f) => f.entity).sort()).not.toEqual(a.files.map((f) => f.entity).sort());
    const dump = [
      b.stdout,
      b.stderr,
      JSON.stringify(a),
      readFileSync(join(cwd, 'som-data', 'som.db')).toString('latin1'),
    ].join('\n');
    expect(dump).not.toContain(secret);
    expect(existsSync(join(cwd, 'som-data', 'pseudonym.key'))).toBe(true);
  });

  it('explains a bad configuration in one message per problem, without secrets, and exits 2', async () => {
    writeFileSync(
      join(cwd, 'som.config.json'),
      '{\n  "objectStore": {"type": "minio", "bucket": "b", "secretKey": "s3cr3t-k3y-value",\n}',
    );
    const malformed = await som(['ls'], { cwd });
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toBe(
      `som: error: invalid configuration: configuration file ${join(cwd, 'som.config.json')} is not valid JSON: expected a double-quoted property name at line 3, column 1\n`,
    );
    writeFileSync(
      join(cwd, 'som.config.json'),
      JSON.stringify({
        objectStore: { type: 'gcs', keyFilename: 'missing-key.json' },
        metadataStore: { type: 'nosql' },
      }),
    );
    const problems = await som(['ls'], { cwd, env: { SOM_SECRET: 'top-secret-value-1' } });
    expect(problems.code).toBe(2);
    expect(problems.stderr).toContain('invalid configuration (');
    expect(problems.stderr).toContain(
      `object store gcs credentials file ${join(cwd, 'missing-key.json')} does not exist`,
    );
    expect(problems.stderr).toMatch(/bucket/);
    expect(problems.stderr).toContain('unknown metadata store type "nosql"');
    const s3 = await som(
      [
        'ls',
        '--object-store',
        JSON.stringify({
          type: 'minio',
          endPoint: '127.0.0.1',
          port: 1,
          useSSL: false,
          accessKey: 'AKIAEXAMPLE',
          secretKey: 's3cr3t-k3y-value',
        }),
        '--metadata-store',
        'memory',
      ],
      { cwd: tempDir('empty') },
    );
    expect(s3.code).toBe(2);
    expect(s3.stderr).toMatch(/bucket/);
    for (const output of [malformed, problems, s3]) {
      expect(output.stdout + output.stderr).not.toMatch(/s3cr3t-k3y-value|top-secret-value-1/);
    }
  });

  it('says in one message when a store cannot be reached', async () => {
    const started = Date.now();
    const result = await som(
      [
        'upload',
        SAMPLE,
        '--collection',
        'x',
        '--object-store',
        JSON.stringify({
          type: 'minio',
          endPoint: '127.0.0.1',
          port: 9,
          useSSL: false,
          accessKey: 'AKIAEXAMPLE',
          secretKey: 'unreachable-secret',
          bucket: 'som-unreachable',
          region: 'us-east-1',
        }),
      ],
      { cwd },
    );
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^som: error: cannot use the object store/);
    expect(result.stderr).not.toContain('unreachable-secret');
    expect(Date.now() - started).toBeLessThan(40_000);
  });

  it('reads nothing into being: ls, search, get and verify where nothing was uploaded', async () => {
    for (const args of [
      ['ls'],
      ['search', 'Modality=CT'],
      ['get', 'demo', 'E1', '--out', 'out'],
      ['verify'],
    ]) {
      const result = await som(args, { cwd });
      expect({ args, code: result.code }).toEqual({ args, code: 1 });
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toContain(`neither ${join(cwd, 'som-data', 'objects')} nor`);
    }
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('creates no pseudonymisation key when no file is to be de-identified', async () => {
    const result = await som(['upload', 'no-such-folder', '--collection', 'x'], { cwd });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('does not exist');
    expect(result.stderr).not.toContain('pseudonymisation key');
    expect(existsSync(join(cwd, 'som-data', 'pseudonym.key'))).toBe(false);
  });

  it('refuses a pseudonymisation key file others can read', async () => {
    mkdirSync(join(cwd, 'som-data'));
    writeFileSync(join(cwd, 'som-data', 'pseudonym.key'), 'k'.repeat(64), { mode: 0o644 });
    const result = await som(['upload', SAMPLE, '--collection', 'x'], { cwd });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('accessible by group or others');
    expect(result.stderr).not.toContain('k'.repeat(64));
  });
});
