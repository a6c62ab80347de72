/**
 * One writer at a time per key, within this process: a put's two renames (data, then
 * attributes) and a repair of the attributes never interleave with another on the same key.
 */

/** A queue per key: `run` waits for the key's earlier holders, then runs its work. */
export class KeyLocks {
  private readonly tails = new Map<string, Promise<void>>();

  /** Run `work` once every earlier `run` on `key` has finished. */
  async run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release = (): void => undefined;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => mine);
    this.tails.set(key, tail);
    await previous;
    try {
      return await work();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}
