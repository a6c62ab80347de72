/**
 * Bounded concurrency over a stream of work: at most `limit` tasks in flight, the source
 * read lazily (never the whole input in memory), results yielded as they complete.
 */

/**
 * Run `task` on every item of `source` with at most `limit` tasks at once, yielding each
 * result as it completes (not in input order). A rejected task rejects the iteration; wrap
 * the task to collect failures instead. Stops pulling from `source` when `signal` aborts.
 */
export async function* mapBounded<T, R>(
  source: Iterable<T> | AsyncIterable<T>,
  limit: number,
  task: (item: T) => Promise<R>,
  signal?: AbortSignal,
): AsyncGenerator<R> {
  if (!Number.isSafeInteger(limit) || limit < 1)
    throw new RangeError(`concurrency must be a positive integer, not ${limit}`);
  const iterator =
    Symbol.asyncIterator in source
      ? source[Symbol.asyncIterator]()
      : (source as Iterable<T>)[Symbol.iterator]();
  const inFlight = new Map<number, Promise<{ id: number; result: R }>>();
  let nextId = 0;
  let exhausted = false;
  try {
    for (;;) {
      while (!exhausted && inFlight.size < limit && !signal?.aborted) {
        const next = await iterator.next();
        if (next.done) {
          exhausted = true;
          break;
        }
        const id = nextId++;
        inFlight.set(
          id,
          task(next.value).then((result) => ({ id, result })),
        );
      }
      if (inFlight.size === 0) return;
      const { id, result } = await Promise.race(inFlight.values());
      inFlight.delete(id);
      yield result;
    }
  } finally {
    if (!exhausted) await iterator.return?.();
    await Promise.allSettled(inFlight.values());
  }
}
