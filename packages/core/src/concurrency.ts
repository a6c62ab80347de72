/**
 * Bounded concurrency over a stream of work: at most `limit` tasks in flight, the source
 * read lazily (never the whole input in memory), results yielded as they complete.
 */

/**
 * Run `task` on every item of `source` with at most `limit` tasks at once, yielding each
 * result as it completes (not in input order). A rejected task rejects the iteration; wrap
 * the task to collect failures instead. Stops pulling from `source` when `signal` aborts.
 *
 * Completed results wait in a queue until they are yielded, and a result yielded is no
 * longer referenced here. (Waiting with `Promise.race` over the tasks in flight, as this
 * did before, left every race's winner reachable from a task that stayed pending across
 * many races: a slow task kept the results of all the fast ones in memory.)
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
  const running = new Set<Promise<void>>();
  const completed: R[] = [];
  let failure: { error: unknown } | undefined;
  let wake: (() => void) | undefined;
  const start = (item: T): void => {
    const settled = task(item).then(
      (result) => {
        completed.push(result);
      },
      (error: unknown) => {
        failure ??= { error };
      },
    );
    running.add(settled);
    void settled.then(() => {
      running.delete(settled);
      wake?.();
    });
  };
  let exhausted = false;
  try {
    for (;;) {
      while (!exhausted && running.size + completed.length < limit && !signal?.aborted) {
        const next = await iterator.next();
        if (next.done) {
          exhausted = true;
          break;
        }
        start(next.value);
      }
      if (failure !== undefined) throw failure.error;
      if (completed.length > 0) {
        yield completed.shift() as R;
        continue;
      }
      if (running.size === 0) return;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
      wake = undefined;
    }
  } finally {
    if (!exhausted) await iterator.return?.();
    await Promise.allSettled(running);
  }
}
