/**
 * Aho-Corasick search for many byte patterns at once, ASCII letters matched in either case:
 * one pass over the bytes finds every occurrence of every pattern.
 */

/** Upper-case ASCII letters folded to lower case; every other byte as it is. */
const FOLD = new Uint8Array(256).map((_, b) => (b >= 0x41 && b <= 0x5a ? b + 0x20 : b));

/** A built automaton over a fixed set of patterns. */
export class MultiPatternSearch {
  /** The children of each node but the root, by (folded) byte. */
  private readonly children: Map<number, number>[] = [new Map()];
  /** The root's children, by byte (0: none): most bytes of a scan start and end here. */
  private readonly root = new Int32Array(256);
  private readonly fail: number[] = [0];
  /** The pattern ending at each node, or -1. */
  private readonly ends: number[] = [-1];
  /** The nearest node on the fail chain where a pattern ends (0: none). */
  private readonly nextEnd: number[] = [0];

  /** @param patterns the byte strings to find (empty ones never match). */
  constructor(private readonly patterns: readonly Uint8Array[]) {
    patterns.forEach((pattern, index) => this.add(pattern, index));
    this.link();
  }

  private add(pattern: Uint8Array, index: number): void {
    if (pattern.length === 0) return;
    let node = 0;
    for (const byte of pattern) {
      const b = FOLD[byte] ?? byte;
      let next = this.child(node, b);
      if (next === 0) {
        next = this.children.length;
        this.children.push(new Map());
        this.fail.push(0);
        this.ends.push(-1);
        this.nextEnd.push(0);
        if (node === 0) this.root[b] = next;
        else this.children[node]?.set(b, next);
      }
      node = next;
    }
    // Of two equal patterns, the first is reported.
    if (this.ends[node] === -1) this.ends[node] = index;
  }

  private child(node: number, byte: number): number {
    return node === 0 ? (this.root[byte] ?? 0) : (this.children[node]?.get(byte) ?? 0);
  }

  /** Breadth first: each node's fail link is the longest proper suffix that is in the trie. */
  private link(): void {
    const queue: number[] = [];
    for (const next of this.root) if (next !== 0) queue.push(next);
    for (let head = 0; head < queue.length; head++) {
      const node = queue[head] ?? 0;
      for (const [byte, next] of this.children[node] ?? []) {
        let f = this.fail[node] ?? 0;
        while (f !== 0 && this.child(f, byte) === 0) f = this.fail[f] ?? 0;
        const target = this.child(f, byte);
        this.fail[next] = target === next ? 0 : target;
        const suffix = this.fail[next] ?? 0;
        this.nextEnd[next] = (this.ends[suffix] ?? -1) >= 0 ? suffix : (this.nextEnd[suffix] ?? 0);
        queue.push(next);
      }
    }
  }

  /**
   * Call `found(pattern, start)` for every occurrence in `bytes[from, to)`, in order of
   * their ends; stop at the first call that returns true.
   */
  search(
    bytes: Uint8Array,
    from: number,
    to: number,
    found: (pattern: number, start: number) => boolean,
  ): void {
    let node = 0;
    for (let i = from; i < to; i++) {
      const b = FOLD[bytes[i] ?? 0] ?? 0;
      if (node === 0) {
        node = this.root[b] ?? 0;
        if (node === 0) continue;
      } else {
        let next = this.child(node, b);
        while (next === 0 && node !== 0) {
          node = this.fail[node] ?? 0;
          next = this.child(node, b);
        }
        node = next;
      }
      let at = (this.ends[node] ?? -1) >= 0 ? node : (this.nextEnd[node] ?? 0);
      while (at !== 0) {
        const pattern = this.ends[at] ?? -1;
        const length = this.patterns[pattern]?.length ?? 0;
        if (found(pattern, i + 1 - length)) return;
        at = this.nextEnd[at] ?? 0;
      }
    }
  }
}
