/**
 * Search for many byte patterns at once, ASCII letters matched in either case, after
 * Wu and Manber: a window of the shortest pattern's length slides over the bytes; a table of
 * the two-byte blocks in the patterns' first four bytes tells how far the window may jump
 * when its last two bytes end no pattern's start (up to three bytes at a time); where they
 * may, the patterns starting with the window's four bytes are compared. Building it is a few map entries per pattern, so
 * it is cheap to build once per file; the search is one pass over the bytes.
 */

/** Upper-case ASCII letters folded to lower case; every other byte as it is. */
const FOLD = new Uint8Array(256).map((_, b) => (b >= 0x41 && b <= 0x5a ? b + 0x20 : b));

/** The shortest pattern searched: shorter ones would match by chance, and never match here. */
export const MIN_PATTERN_BYTES = 4;

function fold(bytes: Uint8Array, at: number): number {
  return FOLD[bytes[at] ?? 0] ?? 0;
}

/**
 * The first four folded bytes at `at` as one small integer (30 bits, so that the engine
 * keeps it unboxed): bytes that differ only in the top bits of the first byte share it.
 */
function key(bytes: Uint8Array, at: number): number {
  return (
    ((fold(bytes, at) & 0x3f) << 24) |
    (fold(bytes, at + 1) << 16) |
    (fold(bytes, at + 2) << 8) |
    fold(bytes, at + 3)
  );
}

/** The size of the shift table (two-byte blocks are hashed into it). */
const BLOCKS = 4096;

/** The shift table's index of the two folded bytes `a` and `b`. */
function block(a: number, b: number): number {
  return (((a << 8) | b) % BLOCKS) ^ (a >>> 4);
}

/** A search over a fixed set of patterns. */
export class MultiPatternSearch {
  /** How far the window may move, by the hash of its last two folded bytes. */
  private readonly shift = new Uint8Array(BLOCKS).fill(MIN_PATTERN_BYTES - 1);
  /** The patterns by their first four folded bytes. */
  private readonly byKey = new Map<number, number[]>();

  /** @param patterns the byte strings to find (those shorter than {@link MIN_PATTERN_BYTES} never match). */
  constructor(private readonly patterns: readonly Uint8Array[]) {
    patterns.forEach((pattern, index) => {
      if (pattern.length < MIN_PATTERN_BYTES) return;
      for (let j = 0; j + 2 <= MIN_PATTERN_BYTES; j++) {
        const h = block(fold(pattern, j), fold(pattern, j + 1));
        this.shift[h] = Math.min(this.shift[h] ?? 0, MIN_PATTERN_BYTES - 2 - j);
      }
      const k = key(pattern, 0);
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
    let i = from;
    while (i <= last) {
      const jump = this.shift[block(fold(bytes, i + 2), fold(bytes, i + 3))] ?? 0;
      if (jump > 0) {
        i += jump;
        continue;
      }
      const candidates = this.byKey.get(key(bytes, i));
      for (const index of candidates ?? []) {
        const pattern = this.patterns[index];
        if (pattern && i + pattern.length <= to && this.matches(pattern, bytes, i)) {
          if (found(index, i)) return;
        }
      }
      i++;
    }
  }

  private matches(pattern: Uint8Array, bytes: Uint8Array, at: number): boolean {
    for (let k = 0; k < pattern.length; k++) {
      if (fold(pattern, k) !== fold(bytes, at + k)) return false;
    }
    return true;
  }
}
