import { ByteBudget } from './byte-budget';

/** Let every settled promise run its callbacks. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('ByteBudget', () => {
  it('admits holders while they fit, in the order they asked', async () => {
    const budget = new ByteBudget(100);
    const admitted: string[] = [];
    const [a, b, c, d] = [{}, {}, {}, {}];
    void budget.acquire(a, 60).then(() => admitted.push('a'));
    void budget.acquire(b, 50).then(() => admitted.push('b'));
    void budget.acquire(c, 10).then(() => admitted.push('c')); // fits, but waits behind b
    await settle();
    expect(admitted).toEqual(['a']);
    expect(budget.used).toBe(60);
    budget.release(a);
    await settle();
    expect(admitted).toEqual(['a', 'b', 'c']);
    expect(budget.used).toBe(60);
    void budget.acquire(d, 41).then(() => admitted.push('d'));
    await settle();
    expect(admitted).toHaveLength(3);
    budget.release(b);
    await settle();
    expect(admitted).toEqual(['a', 'b', 'c', 'd']);
    expect(budget.used).toBe(51);
  });

  it('lets a holder larger than the whole budget run alone', async () => {
    const budget = new ByteBudget(10);
    const small = {};
    const huge = {};
    await budget.acquire(small, 5);
    let hugeAdmitted = false;
    void budget.acquire(huge, 1000).then(() => (hugeAdmitted = true));
    await settle();
    expect(hugeAdmitted).toBe(false);
    budget.release(small);
    await settle();
    expect(hugeAdmitted).toBe(true);
    expect(budget.used).toBe(1000);
  });

  it('ignores the release of a holder that holds nothing, and releases after `with`', async () => {
    const budget = new ByteBudget(10);
    budget.release({});
    expect(budget.used).toBe(0);
    await expect(
      budget.with(8, async () => {
        expect(budget.used).toBe(8);
        throw new Error('work failed');
      }),
    ).rejects.toThrow('work failed');
    expect(budget.used).toBe(0);
    expect(() => new ByteBudget(0)).toThrow(RangeError);
  });
});
