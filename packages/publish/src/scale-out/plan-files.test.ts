import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ScannedFile } from '../1-scan/scan';
import { Report, type FileReport } from '../5-summarise/report';
import {
  PLAN_FORMAT,
  PlanDirectory,
  keepPlannedFiles,
  makePrivateDirectory,
  parsePlan,
  parseShardLine,
  planText,
  readShardFile,
  shardLine,
  writePrivateFile,
  type Plan,
  type PlannedFile,
} from './plan-files';
import { contentDigest } from './settings';

const plan: Plan = {
  format: PLAN_FORMAT,
  som: '0.1.0',
  created: '2026-01-02T03:04:05.000Z',
  collection: 'IRB-1234',
  shards: 2,
  totals: { files: 3, bytes: 30, patients: 2 },
  perShard: [
    { index: 0, patients: 1, files: 2, bytes: 20 },
    { index: 1, patients: 1, files: 1, bytes: 10 },
  ],
  keyFingerprint: '0a1b2c3d',
  recipeDigest: null,
  settings: {
    profile: { retainUids: true },
    pixelFilter: 'default',
    pixelText: null,
    functions: null,
    variables: contentDigest(Buffer.from('PatientID,site\n')),
    metadata: { Site: 'north', Phase: 2 },
    entityMetadata: {},
    itemLevel: 'study',
  },
  aliasSource: 'local',
};

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'som-plan-files-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('plan.json', () => {
  it('reads back what it wrote, with the format version first', () => {
    const text = planText(plan);
    expect(Object.keys(JSON.parse(text))[0]).toBe('format');
    expect(parsePlan(text, 'p/plan.json')).toEqual(plan);
    const dasher = {
      ...plan,
      aliasSource: 'dasher' as const,
      recipeDigest: contentDigest(Buffer.from('x')),
    };
    expect(parsePlan(planText(dasher), 'p/plan.json')).toEqual(dasher);
  });

  it('refuses a newer format, naming both versions', () => {
    expect(() => parsePlan(planText({ ...plan, format: PLAN_FORMAT + 1 }), 'p/plan.json')).toThrow(
      `p/plan.json: a plan of format ${PLAN_FORMAT + 1}, newer than this som reads (${PLAN_FORMAT}); plan again with som plan`,
    );
  });

  it('names the field that is missing or invalid, never its value', () => {
    const broken: [string, unknown][] = [
      ['collection', '../secret-patient-name'],
      ['shards', 0],
      ['perShard', plan.perShard.slice(0, 1)],
      ['perShard', [plan.perShard[1], plan.perShard[0]]],
      ['keyFingerprint', 'not hex'],
      ['recipeDigest', 'md5:abc'],
      ['aliasSource', 'Smith^John'],
      ['totals', { files: -1, bytes: 0, patients: 0 }],
      ['som', undefined],
      ['settings', undefined],
      ['settings', { ...plan.settings, pixelFilter: 'Smith^John' }],
      ['settings', { ...plan.settings, functions: 'md5:abc' }],
      ['settings', { ...plan.settings, metadata: ['Site'] }],
      ['settings', { ...plan.settings, itemLevel: 'series' }],
      ['settings', { ...plan.settings, profile: { retainUids: 'yes' } }],
    ];
    for (const [field, value] of broken) {
      const text = JSON.stringify({ ...plan, [field]: value });
      let message = '';
      try {
        parsePlan(text, 'p/plan.json');
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).toBe(
        `p/plan.json: its field ${field} is missing or invalid; plan again with som plan`,
      );
    }
    expect(() => parsePlan('{"format": 1, ', 'p/plan.json')).toThrow(
      /^p\/plan.json is not valid JSON/,
    );
  });
});

describe('shard files', () => {
  const files: PlannedFile[] = [
    { path: '/data/a b/1.dcm', size: 10, patient: 'PAT 1' },
    { path: '/data/ünï/2.dcm', size: 0, patient: 'PAT\n2' },
  ];

  it('one JSON line per file, read back in order', async () => {
    const file = join(dir, '0.jsonl');
    writeFileSync(file, files.map(shardLine).join('') + '\n');
    expect(readFileSync(file, 'utf8').split('\n')).toHaveLength(4);
    const read: PlannedFile[] = [];
    for await (const entry of readShardFile(file, 'p/shards/0.jsonl')) read.push(entry);
    expect(read).toEqual(files);
  });

  it('names the line of a broken entry without quoting it', () => {
    expect(() =>
      parseShardLine('{"path": "/x", "size": -1, "patient": "Smith"}', 'p/shards/0.jsonl line 3'),
    ).toThrow(
      'p/shards/0.jsonl line 3: not a planned file (path, size and patient); plan again with som plan',
    );
    let message = '';
    try {
      parseShardLine('{"path": "/Smith^John', 'p/shards/0.jsonl line 4');
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/^p\/shards\/0.jsonl line 4 is not valid JSON/);
    expect(message).not.toMatch(/Smith/);
  });
});

describe('plan directory', () => {
  it('lays its files out as documented', () => {
    const paths = new PlanDirectory('/plans/p');
    expect([
      paths.planFile,
      paths.aliasesFile,
      paths.planningReport,
      paths.shardFile(3),
      paths.reportFile(3),
    ]).toEqual([
      '/plans/p/plan.json',
      '/plans/p/aliases.json',
      '/plans/p/planning-report.json',
      '/plans/p/shards/3.jsonl',
      '/plans/p/reports/3.json',
    ]);
  });

  it('creates directories 0700 and files 0600, replacing a file whole', async () => {
    const sub = join(dir, 'plan', 'shards');
    await makePrivateDirectory(sub);
    expect(statSync(sub).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, 'plan')).mode & 0o777).toBe(0o700);
    const file = join(sub, '0.jsonl');
    await Promise.all([writePrivateFile(file, 'first\n'), writePrivateFile(file, 'second\n')]);
    expect(['first\n', 'second\n']).toContain(readFileSync(file, 'utf8'));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(sub)).toEqual(['0.jsonl']);
  });
});

describe('keepPlannedFiles', () => {
  const scanned = (absolute: string, entityId: string): ScannedFile => ({
    path: absolute,
    absolute,
    relative: absolute,
    size: 1,
    index: 0,
    entityId,
    headerBytes: 0,
  });

  it('keeps the files planned with the patient they name now; fails the others without naming a patient', () => {
    const entries: FileReport[] = [];
    const report = new Report([{ add: (e) => entries.push(e), finish: async () => undefined }]);
    const planned = new Map([
      ['/a/1.dcm', 'PAT-1'],
      ['/a/2.dcm', 'PAT-1'],
    ]);
    const kept = keepPlannedFiles(
      [scanned('/a/1.dcm', 'PAT-1'), scanned('/a/2.dcm', 'PAT-9'), scanned('/a/2.dcm/x', 'PAT-1')],
      planned,
      report,
    );
    expect(kept.map((f) => f.absolute)).toEqual(['/a/1.dcm']);
    expect(entries).toEqual([
      {
        path: '/a/2.dcm',
        outcome: 'failed',
        reason:
          'its patient is not the one it was planned with (the file changed since planning): plan again to upload it',
        code: 'FailedPrecondition',
      },
      {
        path: '/a/2.dcm/x',
        outcome: 'failed',
        reason: 'not a file of the plan (it was not there when planned): plan again to upload it',
        code: 'FailedPrecondition',
      },
    ]);
  });
});
