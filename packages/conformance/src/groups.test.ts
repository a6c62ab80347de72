import { groupSlug, registerSuite, type GroupContext } from './groups';

/** A store that says which driver it was opened on. */
class Store {
  closed = false;
  constructor(readonly driver: string) {}
  async close(): Promise<void> {
    this.closed = true;
  }
}

const made: string[] = [];
const seen: Store[] = [];
const harness = {
  name: 'counting',
  makeDriver: async (group: string) => {
    made.push(group);
    return `driver ${made.length} for ${group}`;
  },
};
const group = (name: string) => ({
  name,
  tests: (ctx: GroupContext<Store, typeof harness, never>) => {
    it('writes into its own store', () => {
      seen.push(ctx.store);
      expect(ctx.store.driver).toBe(`driver ${made.length} for ${groupSlug(name)}`);
    });
  },
});

registerSuite('Suite', harness, (driver: string) => new Store(driver), [
  group('round trips'),
  group('signed URLs'),
]);

describe('a registered suite', () => {
  it('made one fresh driver per group, named by its slug, and closed each store after its group', () => {
    expect(made).toEqual(['round-trips', 'signed-urls']);
    expect(seen.map((store) => store.driver)).toEqual([
      'driver 1 for round-trips',
      'driver 2 for signed-urls',
    ]);
    expect(seen.every((store) => store.closed)).toBe(true);
  });
});
