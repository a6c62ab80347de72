/**
 * What a new user trips over, each through the real `som` binary on the embedded default:
 * option values, skips, empty inputs, deid output folders, usage errors, unknown
 * collections, recipe variables, DICOMDIRs and truncated files, Google credentials, a
 * closed standard output and the wording of messages.
 */
import { execFileSync, spawn } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import {
  SAMPLE,
  SOM,
  json,
  removeDir,
  som,
  tempDir,
  type JsonReport,
  type SomResult,
} from './fixtures/som';

jest.setTimeout(60_000);

const PYDICOM_DICOMDIR = '/usr/lib/python3/dist-packages/pydicom/data/test_files/dicomdirtests';
const SECRET = 'a-secret-of-the-new-user-tests-0123456789';

interface Record {
  uid: string;
  [field: string]: unknown;
}

/** The lines of `text` that are not empty. */
const lines = (text: string): string[] => text.split('\n').filter((line) => line !== '');

/** No stack trace and no second error prefix in what a command printed. */
function expectOneMessage(result: SomResult): void {
  const errors = lines(result.stderr);
  expect(errors).toHaveLength(1);
  expect(errors[0]).toMatch(/^som: error: /);
  expect(result.stderr).not.toMatch(/\n\s+at |Unhandled|node:internal/);
}

describe('a new user of som', () => {
  let cwd: string;
  beforeEach(() => {
    cwd = tempDir('new-user');
  });
  afterEach(() => removeDir(cwd));

  describe('Google stores without usable credentials (items 1 and 15)', () => {
    // No gcloud login in HOME, no credentials in the environment, no metadata server.
    const env = (): NodeJS.ProcessEnv => ({ HOME: cwd, METADATA_SERVER_DETECTION: 'none' });
    const badKey = (): string => {
      const path = join(cwd, 'key.json');
      writeFileSync(
        path,
        JSON.stringify({
          type: 'service_account',
          project_id: 'p',
          client_email: 'som@p.iam.gserviceaccount.com',
          private_key:
            '-----BEGIN PRIVATE KEY-----\nMIIBVQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n',
        }),
      );
      return path;
    };

    it('says in one message, at once, that Datastore has no credentials', async () => {
      const started = Date.now();
      const result = await som(
        [
          'upload',
          SAMPLE,
          '--collection',
          'c',
          '--metadata-store',
          '{"type":"datastore","projectId":"p"}',
        ],
        { cwd, env: env() },
      );
      expect(result.code).toBe(2);
      expectOneMessage(result);
      expect(result.stderr).toMatch(/no Google credentials/);
      expect(result.stderr).toContain('GOOGLE_APPLICATION_CREDENTIALS');
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(readdirSync(cwd)).toEqual([]);
    });

    it('checks a key file before any request and names it, never OpenSSL', async () => {
      const key = badKey();
      for (const stores of [
        ['--object-store', JSON.stringify({ type: 'gcs', bucket: 'som-b', keyFilename: key })],
        ['--metadata-store', JSON.stringify({ type: 'datastore', projectId: 'p' })],
      ]) {
        const started = Date.now();
        const result = await som(['ls', ...stores], {
          cwd,
          env: { ...env(), GOOGLE_APPLICATION_CREDENTIALS: key },
        });
        expect(result.code).toBe(2);
        expectOneMessage(result);
        expect(result.stderr).toContain(key);
        expect(result.stderr).toContain('private_key');
        expect(result.stderr).not.toMatch(/DECODER|routines|UNAVAILABLE/);
        expect(Date.now() - started).toBeLessThan(10_000);
      }
      writeFileSync(key, JSON.stringify({ type: 'service_account' }));
      const incomplete = await som(
        [
          'ls',
          '--object-store',
          JSON.stringify({ type: 'gcs', bucket: 'som-b', keyFilename: key }),
        ],
        { cwd, env: env() },
      );
      expect(incomplete.code).toBe(2);
      expect(incomplete.stderr).toContain('client_email');
    });

    it('names the missing bucket setting', async () => {
      const result = await som(['ls', '--object-store', 'gcs', '--metadata-store', 'memory'], {
        cwd,
        env: env(),
      });
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/"bucket"/);
      expect(result.stderr).not.toContain('undefined');
    });
  });

  it('turns on the profile options from the command line (item 2)', async () => {
    const file = join(SAMPLE, 'patient-a', 'IM0001.dcm');
    const read = (dir: string): { [keyword: string]: string | null } =>
      JSON.parse(
        execFileSync('/usr/bin/python3', [
          '-c',
          `import json, pydicom, sys
ds = pydicom.dcmread(sys.argv[1])
print(json.dumps({k: (str(ds.get(k)) if k in ds else None) for k in sys.argv[2:]}))`,
          join(dir, 'IM0001.dcm'),
          'PatientSex',
          'PatientAge',
          'StationName',
          'DeviceSerialNumber',
          'SeriesDescription',
        ]).toString(),
      ) as { [keyword: string]: string | null };
    const plain = await som(['deid', file, '--out', 'plain', '--secret', SECRET], { cwd });
    expect(plain.code).toBe(0);
    // Emptied (type 2 attributes) or removed.
    expect(read(join(cwd, 'plain'))).toEqual({
      PatientSex: '',
      PatientAge: null,
      StationName: '',
      DeviceSerialNumber: '',
      SeriesDescription: null,
    });
    const options = [
      '--retain',
      'patient-characteristics,device-identity',
      '--clean-descriptors',
      '--secret',
      SECRET,
    ];
    const kept = await som(['deid', file, '--out', 'kept', ...options], { cwd });
    expect(kept.code).toBe(0);
    expect(read(join(cwd, 'kept'))).toEqual({
      PatientSex: 'F',
      PatientAge: '046Y',
      StationName: 'CT-ROOM-3',
      DeviceSerialNumber: 'SN-1000',
      SeriesDescription: 'Axial 5mm',
    });
    const wrong = await som(['deid', file, '--out', 'x', '--retain', 'everything'], { cwd });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('patient-characteristics');
  });

  it('takes --metadata values one at a time, before or after the paths (item 3)', async () => {
    const before = await som(
      ['upload', '--metadata', 'Cohort=8', SAMPLE, '--collection', 'c', '--metadata', 'Site=X'],
      { cwd },
    );
    expect(before.stderr).not.toContain('error');
    expect(before.code).toBe(0);
    const images = json<Record[]>(await som(['search', '--collection', 'c', '--json'], { cwd }));
    expect(images).toHaveLength(7);
    expect(images.every((i) => i.Cohort === 8 && i.Site === 'X')).toBe(true);
  });

  it('stores entity metadata and removes images, entities and collections (item 4)', async () => {
    const upload = await som(
      ['upload', SAMPLE, '--collection', 'c', '--entity-metadata', 'Site=Stanford', '--json'],
      { cwd },
    );
    expect(upload.code).toBe(0);
    const entities = json<Record[]>(await som(['ls', 'c', '--json'], { cwd }));
    expect(entities.map((e) => e.Site)).toEqual(['Stanford', 'Stanford', 'Stanford']);
    const [first, second] = entities as [Record, Record];
    const images = json<Record[]>(await som(['ls', 'c', first.uid, '--json'], { cwd }));
    const image = images[0] as Record;
    const root = join(cwd, 'som-data', 'objects', 'Collection');
    const objects = (): string[] =>
      existsSync(root)
        ? readdirSync(root, { recursive: true })
            .map(String)
            .filter((name) => name.endsWith('.obj'))
        : [];
    expect(objects()).toHaveLength(7);

    const dry = await som(['rm', 'c', first.uid, image.uid, '--dry-run'], { cwd });
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('would remove');
    expect(objects()).toHaveLength(7);
    const one = await som(['rm', 'c', first.uid, image.uid], { cwd });
    expect(one.code).toBe(0);
    expect(objects()).toHaveLength(6);
    const left = json<Record[]>(await som(['ls', 'c', '--json'], { cwd }));
    expect(left.find((e) => e.uid === first.uid)?.NumberOfImages).toBe(images.length - 1);

    const entity = await som(['rm', 'c', second.uid], { cwd });
    expect(entity.code).toBe(0);
    expect(
      json<Record[]>(await som(['ls', 'c', '--json'], { cwd })).map((e) => e.uid),
    ).not.toContain(second.uid);
    expect(objects().length).toBe(6 - Number(second.NumberOfImages));

    const refused = await som(['rm', 'c'], { cwd });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--recursive');
    const all = await som(['rm', 'c', '--recursive'], { cwd });
    expect(all.code).toBe(0);
    expect(objects()).toEqual([]);
    expect((await som(['ls', 'c'], { cwd })).code).toBe(1);
    expect((await som(['verify'], { cwd })).code).toBe(0);
    const gone = await som(['rm', 'c', '--recursive'], { cwd });
    expect(gone.code).toBe(1);
    expect(gone.stderr).toBe('som: error: collection c not found\n');
  });

  it('verify --repair rebuilds records with the user fields of the lost ones (item 5)', async () => {
    const upload = await som(
      [
        'upload',
        SAMPLE,
        '--collection',
        'c',
        '--metadata',
        'Cohort=7',
        '--metadata',
        'Site=Springfield',
        '--entity-metadata',
        'Arm=B',
      ],
      { cwd },
    );
    expect(upload.code).toBe(0);
    const lost = ['--metadata-store', JSON.stringify({ type: 'sqlite', path: 'other.db' })];
    expect((await som(['verify', '--repair', ...lost], { cwd })).code).toBe(0);
    const strip = (records: Record[]): unknown[] =>
      records
        .map(({ created: _c, updated: _u, ...rest }) => rest)
        .sort((a, b) => (a.uid < b.uid ? -1 : 1));
    const original = json<Record[]>(await som(['search', '--json'], { cwd }));
    const rebuilt = json<Record[]>(await som(['search', '--json', ...lost], { cwd }));
    expect(strip(rebuilt)).toEqual(strip(original));
    const entities = json<Record[]>(await som(['ls', 'c', '--json', ...lost], { cwd }));
    expect(entities.map((e) => e.Arm)).toEqual(['B', 'B', 'B']);
  });

  it('verify --repair of missing objects leaves no sidecar and no empty entity (item 6)', async () => {
    expect((await som(['upload', SAMPLE, '--collection', 'c'], { cwd })).code).toBe(0);
    const entities = json<Record[]>(await som(['ls', 'c', '--json'], { cwd }));
    const victim = entities.find((e) => e.NumberOfImages === 2) as Record;
    const dir = join(cwd, 'som-data', 'objects', 'Collection', 'c', 'Entity', victim.uid, 'Images');
    for (const name of readdirSync(dir).filter((n) => n.endsWith('.obj')))
      unlinkSync(join(dir, name));
    const repaired = await som(['verify', '--repair'], { cwd });
    expect(repaired.code).toBe(0);
    expect(
      existsSync(join(cwd, 'som-data', 'objects', 'Collection', 'c', 'Entity', victim.uid)),
    ).toBe(false);
    const left = json<Record[]>(await som(['ls', 'c', '--json'], { cwd }));
    expect(left.map((e) => e.uid)).not.toContain(victim.uid);
    expect(left).toHaveLength(2);
    expect(await som(['verify'], { cwd })).toMatchObject({ code: 0 });
  });

  it('creates nothing when nothing is to be stored, and says so (item 7)', async () => {
    mkdirSync(join(cwd, 'empty'));
    mkdirSync(join(cwd, 'texts'));
    writeFileSync(join(cwd, 'texts', 'README'), 'not DICOM\n');
    for (const input of ['no-such-folder', 'empty', 'texts']) {
      const result = await som(['upload', input, '--collection', 'c'], { cwd });
      expect({ input, code: result.code }).toEqual({ input, code: 1 });
      expect(result.stderr).toContain('no DICOM files found');
      expect(readdirSync(cwd).sort()).toEqual(['empty', 'texts']);
    }
  });

  it('skipping non-DICOM files is no failure; --strict makes it one (item 8)', async () => {
    const input = join(cwd, 'in');
    mkdirSync(input);
    copyFileSync(join(SAMPLE, 'patient-a', 'IM0001.dcm'), join(input, 'a.dcm'));
    writeFileSync(join(input, 'notes.csv'), 'a,b\n');
    const loose = await som(['upload', input, '--collection', 'c', '--json'], { cwd });
    expect(loose.code).toBe(0);
    expect(json<JsonReport>(loose).summary).toMatchObject({
      ok: true,
      counts: { written: 1, 'skipped-not-DICOM': 1 },
    });
    const strict = await som(['upload', input, '--collection', 'c', '--strict'], { cwd });
    expect(strict.code).toBe(1);
    const deid = await som(['deid', input, '--out', 'out', '--secret', SECRET], { cwd });
    expect(deid.code).toBe(0);
  });

  it('does not walk into the output of som deid (item 9)', async () => {
    const input = join(cwd, 'in');
    mkdirSync(join(input, 'a'), { recursive: true });
    copyFileSync(join(SAMPLE, 'patient-a', 'IM0001.dcm'), join(input, 'a', 'IM0001.dcm'));
    const first = await som(['deid', input, '--out', join(input, 'out'), '--secret', SECRET], {
      cwd,
    });
    expect(first.code).toBe(0);
    const upload = await som(['upload', input, '--collection', 'c', '--json', '--secret', SECRET], {
      cwd,
    });
    expect(upload.code).toBe(0);
    const report = json<JsonReport>(upload);
    const outcomes = Object.fromEntries(report.files.map((f) => [f.path, f]));
    expect(Object.keys(outcomes).sort()).toEqual([
      join(input, 'a', 'IM0001.dcm'),
      join(input, 'out'),
    ]);
    expect(outcomes[join(input, 'a', 'IM0001.dcm')]?.outcome).toBe('written');
    expect(outcomes[join(input, 'out')]).toMatchObject({ outcome: 'skipped' });
    expect(outcomes[join(input, 'out')]?.reason).toContain('som-report.json');
  });

  it('explains an --out that is a file, and deid with --secret leaves no key file (item 10)', async () => {
    writeFileSync(join(cwd, 'afile'), 'x');
    const result = await som(['deid', SAMPLE, '--out', 'afile', '--secret', SECRET], { cwd });
    expect(result.code).toBe(2);
    expectOneMessage(result);
    expect(result.stderr).toContain('afile');
    expect(result.stderr).toContain('not a directory');
    const deid = await som(['deid', SAMPLE, '--out', 'out', '--secret', SECRET], { cwd });
    expect(deid.code).toBe(0);
    expect(existsSync(join(cwd, 'som-data'))).toBe(false);
  });

  it('search and verify of an unknown collection fail as ls does (item 11)', async () => {
    expect((await som(['upload', SAMPLE, '--collection', 'c'], { cwd })).code).toBe(0);
    for (const command of ['ls', 'search', 'verify']) {
      const args = command === 'ls' ? ['ls', 'nosuch'] : [command, '--collection', 'nosuch'];
      const result = await som(args, { cwd });
      expect({ command, code: result.code }).toEqual({ command, code: 1 });
      expect(result.stderr).toBe('som: error: collection nosuch not found\n');
    }
  });

  it('reports an unknown recipe variable once, before any file is read (item 12)', async () => {
    writeFileSync(join(cwd, 'r.txt'), 'FORMAT dicom\n%header\nREPLACE PatientName var:nosuch\n');
    const result = await som(['deid', SAMPLE, '--out', 'out', '--recipe', 'r.txt'], { cwd });
    expect(result.code).toBe(2);
    expectOneMessage(result);
    expect(result.stderr).toContain('r.txt line 3');
    expect(result.stderr).toContain('var:nosuch');
    expect(result.stdout).toBe('');
    expect(existsSync(join(cwd, 'out'))).toBe(false);
  });

  it('skips a DICOMDIR and fails a truncated file as truncated (item 13)', async () => {
    const input = join(cwd, 'in');
    mkdirSync(input);
    copyFileSync(join(PYDICOM_DICOMDIR, 'DICOMDIR'), join(input, 'DICOMDIR'));
    const whole = readFileSync(join(SAMPLE, 'patient-a', 'IM0001.dcm'));
    writeFileSync(join(input, 'a-cut.dcm'), whole.subarray(0, whole.length - 2000));
    writeFileSync(join(input, 'b-whole.dcm'), whole);
    const result = await som(['upload', input, '--collection', 'c', '--json'], { cwd });
    const byName = Object.fromEntries(
      json<JsonReport>(result).files.map((f) => [f.path.slice(input.length + 1), f]),
    );
    expect(byName.DICOMDIR).toMatchObject({ outcome: 'skipped' });
    expect(byName.DICOMDIR?.reason).toMatch(/DICOMDIR/);
    expect(byName['a-cut.dcm']).toMatchObject({ outcome: 'failed' });
    expect(byName['a-cut.dcm']?.reason).toMatch(/truncated/);
    expect(byName['b-whole.dcm']).toMatchObject({ outcome: 'written' });
  });

  it('ends quietly when its standard output is closed (item 16)', async () => {
    expect((await som(['upload', SAMPLE, '--collection', 'c'], { cwd })).code).toBe(0);
    for (const args of [['--help'], ['search'], ['ls', 'c'], ['search', '--json']]) {
      const child = spawn(process.execPath, [SOM, ...args], {
        cwd,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout.destroy();
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      expect({ args, code, stderr: stderr.replace(/^som: \d+ match(es)?\n$/, '') }).toEqual({
        args,
        code: 0,
        stderr: '',
      });
    }
  });

  it('counts in words that agree, and prefixes every error once (item 17)', async () => {
    const identifiers = await som(['identifiers', join(SAMPLE, 'patient-b', 'IM0001.dcm')], {
      cwd,
    });
    expect(identifiers.stderr).toContain('1 DICOM file: 1 patient, 1 study');
    expect((await som(['upload', SAMPLE, '--collection', 'c'], { cwd })).code).toBe(0);
    const images = json<Record[]>(await som(['search', '--json'], { cwd }));
    const [first] = images as [Record];
    // One record without its object.
    const key = ['Collection', 'c', 'Entity', String(first.entity), 'Images'];
    unlinkSync(join(cwd, 'som-data', 'objects', ...key, `${first.uid}.obj`));
    const verify = await som(['verify'], { cwd });
    expect(verify.stderr).toMatch(/: 1 problem, 0 repaired, 1 remaining/);
    for (const args of [['upload', '--collection', 'c'], ['nosuch'], ['ls', '--nosuch']]) {
      const usage = await som(args, { cwd });
      expect(usage.code).toBe(2);
      expect(lines(usage.stderr)[0]).toMatch(/^som: error: /);
      expect(usage.stderr).not.toMatch(/^error:/m);
    }
  });
});
