/**
 * Whole patients to shards, balanced by bytes: the largest patient first, each to the
 * shard with the fewest bytes so far (the greedy "longest processing time first" rule,
 * within 4/3 of the best balance). Ties are broken by patient key and shard index, so the
 * same patients always give the same shards.
 */

/** One patient as planning found it. */
export interface PatientTotals {
  /** What the patient is grouped by (the original PatientID): unique among patients. */
  key: string;
  /** Bytes of its files. */
  bytes: number;
  /** How many files it has. */
  files: number;
}

/** What one shard holds. */
export interface ShardTotals {
  /** Its index, from 0. */
  index: number;
  /** Patients in it. */
  patients: number;
  /** Files in it. */
  files: number;
  /** Bytes of its files. */
  bytes: number;
}

/** Where every patient goes. */
export interface ShardAssignment {
  /** The shard of each patient, by key. */
  shardOf: ReadonlyMap<string, number>;
  /** Every shard, by index (empty ones included). */
  shards: readonly ShardTotals[];
}

/** Orders patients largest first, then by key (code unit order). */
function largestFirst(a: PatientTotals, b: PatientTotals): number {
  if (a.bytes !== b.bytes) return b.bytes - a.bytes;
  if (a.key === b.key) return 0;
  return a.key < b.key ? -1 : 1;
}

/** True when shard `a` should take the next patient before shard `b`. */
function lighter(a: ShardTotals, b: ShardTotals): boolean {
  return a.bytes < b.bytes || (a.bytes === b.bytes && a.index < b.index);
}

/** A binary min-heap of shards by bytes, then index. */
class ShardHeap {
  private readonly items: ShardTotals[];

  constructor(shards: readonly ShardTotals[]) {
    // Empty shards in index order already form a heap.
    this.items = [...shards];
  }

  /** The lightest shard. */
  peek(): ShardTotals {
    return this.items[0] as ShardTotals;
  }

  /** Restore the order after the lightest shard grew. */
  siftDown(): void {
    const items = this.items;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (
        left < items.length &&
        lighter(items[left] as ShardTotals, items[smallest] as ShardTotals)
      )
        smallest = left;
      if (
        right < items.length &&
        lighter(items[right] as ShardTotals, items[smallest] as ShardTotals)
      )
        smallest = right;
      if (smallest === i) return;
      [items[i], items[smallest]] = [items[smallest] as ShardTotals, items[i] as ShardTotals];
      i = smallest;
    }
  }
}

/**
 * Assign every patient of `patients` to one of `shardCount` shards (see the module comment).
 * @throws RangeError when `shardCount` is not a positive whole number or a key repeats.
 */
export function assignShards(
  patients: Iterable<PatientTotals>,
  shardCount: number,
): ShardAssignment {
  if (!Number.isSafeInteger(shardCount) || shardCount < 1)
    throw new RangeError(
      `the number of shards must be a whole number of at least 1, not ${shardCount}`,
    );
  const shards: ShardTotals[] = Array.from({ length: shardCount }, (_, index) => ({
    index,
    patients: 0,
    files: 0,
    bytes: 0,
  }));
  const heap = new ShardHeap(shards);
  const shardOf = new Map<string, number>();
  for (const patient of [...patients].sort(largestFirst)) {
    if (shardOf.has(patient.key)) throw new RangeError('a patient key was given twice');
    const shard = heap.peek();
    shardOf.set(patient.key, shard.index);
    shard.patients += 1;
    shard.files += patient.files;
    shard.bytes += patient.bytes;
    heap.siftDown();
  }
  return { shardOf, shards };
}
