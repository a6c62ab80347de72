import { assignShards, type PatientTotals } from './assign';

const patient = (key: string, bytes: number, files = 1): PatientTotals => ({ key, bytes, files });

/** A deterministic pseudo-random sequence (xorshift32), so failures reproduce. */
function random(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

/** The smallest possible largest shard, by trying every assignment (small inputs only). */
function bestLargestShard(bytes: readonly number[], shards: number): number {
  let best = Infinity;
  const loads = new Array<number>(shards).fill(0);
  const place = (i: number): void => {
    if (i === bytes.length) {
      best = Math.min(best, Math.max(...loads));
      return;
    }
    for (let s = 0; s < shards; s++) {
      loads[s] = (loads[s] as number) + (bytes[i] as number);
      place(i + 1);
      loads[s] = (loads[s] as number) - (bytes[i] as number);
    }
  };
  place(0);
  return best;
}

describe('assignShards', () => {
  it('puts the largest patient first on the lightest shard, lower index on a tie', () => {
    // By hand: 10 -> 0, 9 -> 1, 8 -> 1 (9 < 10), 7 -> 0 (10 < 17), 6 -> 0 (17 = 17: index 0), 5 -> 1.
    const { shardOf, shards } = assignShards(
      [
        patient('e', 6),
        patient('a', 10),
        patient('c', 8),
        patient('f', 5),
        patient('b', 9),
        patient('d', 7),
      ],
      2,
    );
    expect(Object.fromEntries(shardOf)).toEqual({ a: 0, b: 1, c: 1, d: 0, e: 0, f: 1 });
    expect(shards).toEqual([
      { index: 0, patients: 3, files: 3, bytes: 23 },
      { index: 1, patients: 3, files: 3, bytes: 22 },
    ]);
  });

  it('breaks ties between patients of equal size by key, whatever the input order', () => {
    const patients = ['p3', 'p1', 'p4', 'p2'].map((key) => patient(key, 100));
    const expected = { p1: 0, p2: 1, p3: 2, p4: 0 };
    expect(Object.fromEntries(assignShards(patients, 3).shardOf)).toEqual(expected);
    expect(Object.fromEntries(assignShards([...patients].reverse(), 3).shardOf)).toEqual(expected);
  });

  it('gives the same shards for any order of the same patients', () => {
    const next = random(7);
    const patients = Array.from({ length: 500 }, (_, i) =>
      patient(`patient-${i}`, Math.floor(next() * 50) * 1000, 1 + Math.floor(next() * 9)),
    );
    const first = assignShards(patients, 8);
    const shuffled = [...patients].sort(() => next() - 0.5);
    const second = assignShards(shuffled, 8);
    expect(second.shardOf).toEqual(first.shardOf);
    expect(second.shards).toEqual(first.shards);
  });

  it('puts every patient in exactly one shard, and the shard totals add up', () => {
    const next = random(11);
    const patients = Array.from({ length: 300 }, (_, i) =>
      patient(`k${i}`, Math.floor(next() * 1e6), 1 + Math.floor(next() * 20)),
    );
    const { shardOf, shards } = assignShards(patients, 7);
    expect(shardOf.size).toBe(patients.length);
    for (const s of shards) {
      const mine = patients.filter((p) => shardOf.get(p.key) === s.index);
      expect(s.patients).toBe(mine.length);
      expect(s.files).toBe(mine.reduce((sum, p) => sum + p.files, 0));
      expect(s.bytes).toBe(mine.reduce((sum, p) => sum + p.bytes, 0));
    }
  });

  it('keeps the largest shard within 4/3 of the best possible (checked by trying every assignment)', () => {
    const next = random(3);
    for (let round = 0; round < 40; round++) {
      const count = 3 + Math.floor(next() * 6);
      const shards = 2 + Math.floor(next() * 2);
      const bytes = Array.from({ length: count }, () => 1 + Math.floor(next() * 100));
      const { shards: result } = assignShards(
        bytes.map((b, i) => patient(`p${i}`, b)),
        shards,
      );
      const largest = Math.max(...result.map((s) => s.bytes));
      expect(largest).toBeLessThanOrEqual((4 / 3) * bestLargestShard(bytes, shards));
    }
  });

  it('leaves shards empty when there are fewer patients than shards', () => {
    const { shards } = assignShards([patient('only', 5, 2)], 3);
    expect(shards).toEqual([
      { index: 0, patients: 1, files: 2, bytes: 5 },
      { index: 1, patients: 0, files: 0, bytes: 0 },
      { index: 2, patients: 0, files: 0, bytes: 0 },
    ]);
  });

  it('refuses a shard count that is not a whole number of at least 1, and a repeated key', () => {
    for (const n of [0, -1, 1.5, Number.NaN]) expect(() => assignShards([], n)).toThrow(RangeError);
    expect(() => assignShards([patient('a', 1), patient('a', 2)], 2)).toThrow(/twice/);
  });
});
