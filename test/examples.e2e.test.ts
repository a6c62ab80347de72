/**
 * The programs in examples/ run as a user runs them (built, with node, in a directory of
 * studies) and do what docs/api.md says they do.
 */
import { execFile } from 'node:child_process';
import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT, SAMPLE, removeDir, tempDir } from './fixtures/som';

const run = promisify(execFile);

let dir: string;
beforeAll(() => {
  dir = tempDir('examples');
  cpSync(SAMPLE, join(dir, 'studies'), { recursive: true });
});
afterAll(() => removeDir(dir));

describe('examples/seed-workflow.ts', () => {
  it('creates the collection, de-identifies, uploads one entity with its metadata and finds it', async () => {
    const { stdout } = await run(
      process.execPath,
      [join(ROOT, 'examples', 'dist', 'seed-workflow.js')],
      { cwd: dir, env: { PATH: process.env.PATH, SOM_SECRET: 'the key of the examples test' } },
    );
    const result = JSON.parse(stdout) as {
      entity: string;
      uploaded: number;
      entities: string[];
      images: number;
    };
    const report = JSON.parse(readFileSync(join(dir, 'deid', 'som-report.json'), 'utf8')) as {
      files: { entity?: string; outcome: string }[];
    };
    const ofEntity = report.files.filter((f) => f.entity === result.entity);
    expect(ofEntity.length).toBeGreaterThan(0);
    expect(ofEntity.every((f) => f.outcome === 'written')).toBe(true);
    expect(result.uploaded).toBe(ofEntity.length);
    expect(result.images).toBe(ofEntity.length);
    expect(result.entities).toEqual([result.entity]);
  });
});
