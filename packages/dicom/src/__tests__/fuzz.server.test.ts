/**
 * The fuzz suite (integration tier: built output, pydicom, dcmdump): a campaign of
 * structure-aware mutations of seeds with identifying values in every place, de-identified
 * with the default profile and checked by an oracle that does not use som's reader. No
 * crash, no hang, no output with an identifying value of its seed, every output readable
 * by pydicom and dcmdump. FUZZ_CASES sets the number of cases (default 3,000).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CAMPAIGN = join(__dirname, '..', '..', 'fuzz', 'campaign.js');
const CASES = Number(process.env.FUZZ_CASES ?? 3000);

interface Summary {
  outcomes: number;
  written: number;
  refused: number;
  findings: { case: number; finding: string; detail: string }[];
  relabelled: { case: number; detail: string }[];
  mutations: Record<string, number>;
}

describe('fuzzing', () => {
  const out = mkdtempSync(join(tmpdir(), 'som-fuzz-test-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it(`${CASES} mutants: no crash, hang or leak; every output readable by pydicom and dcmdump`, () => {
    const run = spawnSync(process.execPath, [CAMPAIGN, '--cases', String(CASES), '--out', out], {
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    });
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as Summary;
    expect(summary.findings).toEqual([]);
    expect(run.status).toBe(0);
    expect(summary.outcomes).toBe(CASES);
    // Not vacuous: every kind of mutation ran, and the de-identifier both wrote and refused.
    expect(Object.keys(summary.mutations).sort()).toEqual(
      [
        'bitflip',
        'charset',
        'duplicate',
        'length',
        'meta',
        'nesting',
        'tag',
        'truncate',
        'value',
        'vr',
      ].sort(),
    );
    expect(summary.written).toBeGreaterThan(CASES * 0.2);
    expect(summary.refused).toBeGreaterThan(CASES * 0.2);
    // Relabelled values (an element renumbered, same VR, tags still in order) are the
    // documented limit: rare, and only from a renumbering.
    expect(summary.relabelled.length).toBeLessThan(CASES / 500 + 1);
    for (const r of summary.relabelled) expect(r.detail).toMatch(/\(tag: tag \d\)$/);
  }, 600_000);

  it('makes the same mutant from the same case number', () => {
    const mutantOf = (n: number): Buffer => {
      const run = spawnSync(process.execPath, [CAMPAIGN, '--case', String(n), '--out', out], {
        encoding: 'utf8',
      });
      expect(run.status).toBe(0);
      return readFileSync(join(out, 'outputs', `${n}.in.dcm`));
    };
    const first = mutantOf(17);
    expect(mutantOf(17).equals(first)).toBe(true);
    expect(mutantOf(18).equals(first)).toBe(false);
  }, 120_000);
});
