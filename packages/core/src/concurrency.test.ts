import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { mapBounded } from './concurrency';

/** A full garbage collection, from a context created after exposing it. */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

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

  it('keeps no reference to a result once yielded, even while another task stays pending', async () => {
    let releaseSlow: () => void = () => undefined;
    const slow = new Promise<void>((resolve) => {
      releaseSlow = resolve;
    });
    const yielded: WeakRef<object>[] = [];
    const results = mapBounded(
      Array.from({ length: 40 }, (_, i) => i),
      4,
      async (i) => {
        if (i === 0) await slow;
        else await sleep(0);
        return { i, bytes: new Uint8Array(1024) };
      },
    );
    for (let n = 0; n < 39; n++) {
      const { value } = await results.next();
      yielded.push(new WeakRef(value as object));
    }
    await new Promise((resolve) => setImmediate(resolve)); // WeakRefs are held for one job
    collectGarbage();
    expect(yielded.filter((ref) => ref.deref() !== undefined).length).toBeLessThanOrEqual(1);
    releaseSlow();
    const last = await results.next();
    expect(last.value).toMatchObject({ i: 0 });
    expect((await results.next()).done).toBe(true);
  });

  it('rejects the iteration when a task rejects', async () => {
    const run = async (): Promise<number[]> => {
      const seen: number[] = [];
      for await (const r of mapBounded([1, 2, 3, 4], 2, async (i) => {
        if (i === 3) throw new Error('task 3 failed');
        return i;
      }))
        seen.push(r);
      return seen;
    };
    await expect(run()).rejects.toThrow('task 3 failed');
  });

  it('rejects a bad limit', async () => {
    await expect(mapBounded([1], 0, async (x) => x).next()).rejects.toThrow(/positive integer/);
  });
});
