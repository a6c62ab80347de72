import { GarbageCollector } from './collect-garbage';

/** A WeakRef to a 1 MB buffer nothing else references, once it can be collected. */
async function dropped(): Promise<WeakRef<Uint8Array>> {
  const ref = new WeakRef(new Uint8Array(1 << 20));
  await new Promise((resolve) => setImmediate(resolve)); // WeakRefs are held for one job
  return ref;
}

describe('GarbageCollector', () => {
  it('collects once the bytes let go reach its threshold, and again after as many more', async () => {
    const collector = new GarbageCollector(3 << 20);
    for (let round = 0; round < 2; round++) {
      collector.letGo(2 << 20); // below the threshold: no collection asked for
      const ref = await dropped();
      collector.letGo(1 << 20);
      expect(ref.deref()).toBeUndefined();
    }
  });
});
