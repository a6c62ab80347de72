import { mapBounded } from './concurrency';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('mapBounded', () => {
  it('runs every item with at most `limit` in flight, pulling the source lazily', async () => {
    let running = 0;
    let peak = 0;
    let pulled = 0;
    async function* source(): AsyncGenerator<number> {
      for (let i = 0; i < 50; i++) {
        pulled++;
        expect(pulled - done).toBeLessThanOrEqual(4); // never reads far ahead of the work
        yield i;
      }
    }
    let done = 0;
    const results: number[] = [];
    for await (const r of mapBounded(source(), 3, async (i) => {
      running++;
      peak = Math.max(peak, running);
      await sleep(i % 3);
      running--;
      done++;
      return i * 2;
    })) {
      results.push(r);
    }
    expect(results.sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i * 2));
    expect(peak).toBe(3);
  });

  it('stops starting work when the signal aborts, finishing what is in flight', async () => {
    const controller = new AbortController();
    const started: number[] = [];
    const results: number[] = [];
    for await (const r of mapBounded(
      Array.from({ length: 100 }, (_, i) => i),
      2,
      async (i) => {
        started.push(i);
        if (i === 5) controller.abort();
        await sleep(1);
        return i;
      },
      controller.signal,
    )) {
      results.push(r);
    }
    expect(started.length).toBeLessThan(10);
    expect(results.sort((a, b) => a - b)).toEqual(started.sort((a, b) => a - b));
  });

  it('rejects a bad limit', async () => {
    await expect(mapBounded([1], 0, async (x) => x).next()).rejects.toThrow(/positive integer/);
  });
});
