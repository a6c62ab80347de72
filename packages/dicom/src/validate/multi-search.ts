/**
 * Search for many byte patterns at once, ASCII letters matched in either case, with a
 * q-gram filter (as Wu-Manber): the four bytes at each position, rolled into one number,
 * are looked up in a bit table of the hashes of the patterns' first four bytes, which rules
 * out almost every position at the cost of one lookup; the patterns starting with those
 * four bytes are compared where it does not. Building it is a few map entries per pattern, so
 * it is cheap to build once per file; the search is one pass over the bytes.
 */

/** Upper-case ASCII letters folded to lower case; every other byte as it is. */
const FOLD = new Uint8Array(256).map((_, b) => (b >= 0x41 && b <= 0x5a ? b + 0x20 : b));

/** The shortest pattern searched: shorter ones would match by chance, and never match here. */
export const MIN_PATTERN_BYTES = 4;

function fold(bytes: Uint8Array, at: number): number {
  return FOLD[bytes[at] ?? 0] ?? 0;
}

/** The first four folded bytes at `at` as one number. */
function key(bytes: Uint8Array, at: number): number {
  return (
    ((fold(bytes, at) << 24) |
      (fold(bytes, at + 1) << 16) |
      (fold(bytes, at + 2) << 8) |
      fold(bytes, at + 3)) >>>
    0
  );
}

/** 16 bits of a four-byte key (Fibonacci hashing). */
function hash(k: number): number {
  return Math.imul(k, 0x9e3779b1) >>> 16;
}

/** A search over a fixed set of patterns. */
export class MultiPatternSearch {
  /** One bit for each hash of the first four folded bytes of some pattern. */
  private readonly starts = new Uint32Array(2048);
  /** The patterns by their first four folded bytes. */
  private readonly byKey = new Map<number, number[]>();

  /** @param patterns the byte strings to find (those shorter than {@link MIN_PATTERN_BYTES} never match). */
  constructor(private readonly patterns: readonly Uint8Array[]) {
    patterns.forEach((pattern, index) => {
      if (pattern.length < MIN_PATTERN_BYTES) return;
      const k = key(pattern, 0);
      const h = hash(k);
      this.starts[h >>> 5] = (this.starts[h >>> 5] ?? 0) | (1 << (h & 31));
      const list = this.byKey.get(k);
      if (list) list.push(index);
      else this.byKey.set(k, [index]);
    });
  }

  /**
   * Call `found(pattern, start)` for every occurrence in `bytes[from, to)`, in order of
   * their starts; stop at the first call that returns true.
   */
  search(
    bytes: Uint8Array,
    from: number,
    to: number,
    found: (pattern: number, start: number) => boolean,
  ): void {
    if (this.byKey.size === 0) return;
    const last = to - MIN_PATTERN_BYTES;
    if (last < from) return;
    // The folded four bytes at i, rolled one byte on each step.
    let k = key(bytes, from) >>> 8;
    for (let i = from; i <= last; i++) {
      k = ((k << 8) | fold(bytes, i + 3)) >>> 0;
      const h = hash(k);
      if (((this.starts[h >>> 5] ?? 0) & (1 << (h & 31))) === 0) continue;
      const candidates = this.byKey.get(k);
      if (!candidates) continue;
      for (const index of candidates) {
        const pattern = this.patterns[index];
        if (pattern && i + pattern.length <= to && this.matches(pattern, bytes, i)) {
          if (found(index, i)) return;
        }
      }
    }
  }

  private matches(pattern: Uint8Array, bytes: Uint8Array, at: number): boolean {
    for (let k = MIN_PATTERN_BYTES; k < pattern.length; k++) {
      if (fold(pattern, k) !== fold(bytes, at + k)) return false;
    }
    return true;
  }
}
