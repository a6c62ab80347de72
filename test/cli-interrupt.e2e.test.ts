/**
 * Stopping `som upload` in the middle: killed outright (SIGKILL) or asked to stop (SIGINT).
 * The rerun finishes the rest: nothing duplicated, nothing lost, `som verify` clean.
 */
import { join } from 'node:path';
import {
  json,
  makeFixtures,
  removeDir,
  som,
  startSom,
  tempDir,
  type JsonReport,
  type SomResult,
} from './fixtures/som';

jest.setTimeout(120_000);

const FILES = 400;

/** Start an upload and send `signal` once `after` files have been reported. */
async function interrupted(
  cwd: string,
  input: string,
  signal: NodeJS.Signals,
  after: number,
): Promise<SomResult> {
  const { child, done } = startSom(['upload', input, '--collection', 'big', '--concurrency', '4'], {
    cwd,
    env: { SOM_WORKERS: '1' },
  });
  let seen = 0;
  let sent = false;
  child.stdout?.on('data', (chunk: Buffer) => {
    seen += chunk
      .toString()
      .split('\n')
      .filter((line) => /^(written|unchanged) /.test(line)).length;
    if (!sent && seen >= after) {
      sent = true;
      child.kill(signal);
    }
  });
  return done;
}

interface VerifyReport {
  images: number;
  problems: { type: string }[];
  remaining: number;
}

/** What `som verify --json` finds: images are the records and objects of both stores, together. */
async function verify(cwd: string): Promise<VerifyReport> {
  return json<VerifyReport>(await som(['verify', '--json'], { cwd }));
}

async function imageCount(cwd: string): Promise<number> {
  const entities = json<{ uid: string; NumberOfImages: number }[]>(
    await som(['ls', 'big', '--json'], { cwd }),
  );
  let total = 0;
  for (const entity of entities) {
    const images = json<unknown[]>(await som(['ls', 'big', entity.uid, '--json'], { cwd }));
    expect(images).toHaveLength(entity.NumberOfImages);
    total += images.length;
  }
  return total;
}

describe('an interrupted upload', () => {
  let fixtures: string;
  let cwd: string;
  beforeAll(() => {
    fixtures = tempDir('many');
    makeFixtures('many', join(fixtures, 'in'), FILES);
  });
  afterAll(() => removeDir(fixtures));
  beforeEach(() => {
    cwd = tempDir('cwd');
  });
  afterEach(() => removeDir(cwd));

  it('killed with SIGKILL is finished by the rerun: nothing lost, nothing duplicated, verify clean', async () => {
    const killed = await interrupted(cwd, join(fixtures, 'in'), 'SIGKILL', 100);
    expect(killed.signal).toBe('SIGKILL');
    const before = await verify(cwd);
    expect(before.images).toBeGreaterThan(0);
    expect(before.images).toBeLessThan(FILES);
    const rerun = await som(['upload', join(fixtures, 'in'), '--collection', 'big', '--json'], {
      cwd,
    });
    expect(rerun.code).toBe(0);
    const counts = json<JsonReport>(rerun).summary.counts;
    expect((counts.written ?? 0) + (counts.unchanged ?? 0)).toBe(FILES);
    expect(counts.unchanged).toBeGreaterThan(0);
    expect(await imageCount(cwd)).toBe(FILES);
    const after = await som(['verify'], { cwd });
    expect(after.stderr).toContain(`verified ${FILES} images: no problems`);
    expect(after.code).toBe(0);
  });

  it('killed with SIGKILL at random points of its record batches never leaves a record without its object', async () => {
    // Objects are made durable together before each batch of records (a group commit): a
    // kill anywhere leaves objects without records (verify --repair rebuilds them), never a
    // record whose object is missing or differs.
    let killed = 0;
    for (let round = 0; round < 4; round++) {
      const { child, done } = startSom(
        ['upload', join(fixtures, 'in'), '--collection', 'big', '--concurrency', '8'],
        { cwd, env: { SOM_WORKERS: '1' } },
      );
      child.stdout?.once('data', () => {
        setTimeout(() => child.kill('SIGKILL'), Math.random() * 1500);
      });
      const result = await done;
      if (result.signal === 'SIGKILL') killed++;
      else expect(result.code).toBe(0); // finished before the kill
      const found = json<VerifyReport>(await som(['verify', '--deep', '--json'], { cwd }));
      const wrong = found.problems.filter(
        (p) => !['orphan-object', 'stale-summary', 'missing-parent'].includes(p.type),
      );
      expect(wrong).toEqual([]);
    }
    expect(killed).toBeGreaterThan(0);
    expect(await som(['verify', '--repair'], { cwd })).toMatchObject({ code: 0 });
    expect(await verify(cwd)).toMatchObject({ problems: [], remaining: 0 });
  });

  it('stopped with SIGINT finishes the files in flight, reports the rest and exits 130', async () => {
    const stopped = await interrupted(cwd, join(fixtures, 'in'), 'SIGINT', 100);
    expect(stopped.code).toBe(130);
    expect(stopped.stderr).toContain('SIGINT: stopping');
    const summary = /som: upload to collection big: 400 files: \d+ written, (\d+) interrupted/.exec(
      stopped.stdout,
    );
    expect(summary).not.toBeNull();
    // One line with the count; the files themselves only in --json and the report.
    const printed = stopped.stdout + stopped.stderr;
    expect(printed).not.toMatch(/^ *interrupted {2}/m);
    const notStarted = printed.match(/^som: \d+ files? not started \(interrupted\).*$/gm) ?? [];
    expect(notStarted).toEqual([
      `som: ${summary?.[1]} files not started (interrupted): listed by --json`,
    ]);
    expect(await som(['verify'], { cwd })).toMatchObject({ code: 0 });
    const rerun = await som(['upload', join(fixtures, 'in'), '--collection', 'big', '--json'], {
      cwd,
    });
    expect(rerun.code).toBe(0);
    expect(json<JsonReport>(rerun).summary.ok).toBe(true);
    expect(await imageCount(cwd)).toBe(FILES);
    expect(await verify(cwd)).toEqual({ images: FILES, problems: [], remaining: 0 });
  });
});
