/**
 * A conformance suite is a table of contents: named groups of tests, each run on a driver of
 * its own (a fresh bucket, directory, database or namespace), so that no group sees what
 * another wrote and each can be read, run (`-t '<group>'`) and debugged alone.
 */
import { featureTest, type TestFn } from './support';

/** What every harness gives a suite (see the object and metadata store harnesses). */
export interface SuiteHarness<Driver, Feature extends string> {
  /** Shown in test names, e.g. `fs`, `gcs (firebase emulator)`. */
  name: string;
  /** Start what every group shares (e.g. a server), once, before the first group. */
  setup?(): Promise<void>;
  /**
   * A driver on a fresh, empty bucket, directory, database or namespace, once per group;
   * `group` is the group's name as a lowercase slug (letters, digits and `-`), to name it.
   */
  makeDriver(group: string): Promise<Driver>;
  /** Stop servers and remove files after the last group. */
  teardown?(): Promise<void>;
  /** Behaviours this backend lacks, each with the reason (listed as skipped tests). */
  unsupported?: Partial<Record<Feature, string>>;
  /** Per-test timeout in ms for the slow tests (default 120,000). */
  slowTestTimeoutMs?: number;
}

/** What the tests of one group use. */
export interface GroupContext<Store, Harness, Feature extends string> {
  /** The store on the group's own driver (made before the group's first test). */
  store: Store;
  /** The harness of the suite. */
  harness: Harness;
  /** Timeout in ms of the slow tests. */
  slow: number;
  /** `it`, or a skipped test naming why when the harness declares the feature unsupported. */
  feature(name: Feature): TestFn;
}

/** One named group of a suite: registers its tests (jest's `it`, `beforeAll`, ...). */
export interface Group<Context> {
  name: string;
  tests(ctx: Context): void;
}

/** `name` as a lowercase slug of letters, digits and `-` (e.g. `signed URLs` -> `signed-urls`). */
export function groupSlug(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

/**
 * Register a suite: one `describe(title)` with the harness's setup and teardown, and in it
 * one `describe` per group whose store is opened (by `open`) on a fresh driver before its
 * first test and closed after its last.
 */
export function registerSuite<
  Driver,
  Feature extends string,
  Harness extends SuiteHarness<Driver, Feature>,
  Store extends { close(): Promise<void> },
>(
  title: string,
  harness: Harness,
  open: (driver: Driver) => Store,
  groups: readonly Group<GroupContext<Store, Harness, Feature>>[],
): void {
  const slow = harness.slowTestTimeoutMs ?? 120_000;
  const unsupported: Partial<Record<Feature, string>> = harness.unsupported ?? {};
  describe(`${title}: ${harness.name}`, () => {
    beforeAll(async () => harness.setup?.(), slow);
    afterAll(async () => harness.teardown?.(), slow);
    for (const group of groups) {
      describe(group.name, () => {
        const ctx = {
          harness,
          slow,
          feature: (name: Feature) => featureTest(harness.name, name, unsupported[name]),
        } as GroupContext<Store, Harness, Feature>;
        beforeAll(async () => {
          ctx.store = open(await harness.makeDriver(groupSlug(group.name)));
        }, slow);
        afterAll(async () => ctx.store?.close(), slow);
        group.tests(ctx);
      });
    }
  });
}
