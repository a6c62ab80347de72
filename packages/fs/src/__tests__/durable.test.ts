/**
 * Shared directory fsyncs (the scheduling, with a directory "sync" the test controls), and a
 * real one on disk.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DirectorySyncs } from '../durable';

/** A sync function whose calls the test sees and finishes. */
function controlledSyncs(): { syncs: DirectorySyncs; started: string[]; finish: () => void } {
  const started: string[] = [];
  const finishers: (() => void)[] = [];
  const syncs = new DirectorySyncs(
    (dir) =>
      new Promise<void>((resolve) => {
        started.push(dir);
        finishers.push(resolve);
      }),
  );
  return { syncs, started, finish: () => finishers.shift()?.() };
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('shared directory fsyncs', () => {
  it('lets writers that ask before a sync starts share it', async () => {
    const { syncs, started, finish } = controlledSyncs();
    const a = syncs.sync('/d');
    const b = syncs.sync('/d');
    await tick();
    expect(started).toEqual(['/d']);
    finish();
    await Promise.all([a, b]);
  });

  it('gives a writer that asks during a sync the next one, shared with later writers', async () => {
    const { syncs, started, finish } = controlledSyncs();
    const first = syncs.sync('/d');
    await tick(); // the first sync has started
    let secondDone = false;
    const second = syncs.sync('/d').then(() => (secondDone = true));
    const third = syncs.sync('/d');
    await tick();
    expect(started).toEqual(['/d']); // the next one waits for the running one
    finish();
    await first;
    await tick();
    expect(secondDone).toBe(false); // a sync that began before its rename does not count
    expect(started).toEqual(['/d', '/d']);
    finish();
    await Promise.all([second, third]);
    expect(started).toHaveLength(2);
  });

  it('keeps directories apart', async () => {
    const { syncs, started, finish } = controlledSyncs();
    const a = syncs.sync('/a');
    const b = syncs.sync('/b');
    await tick();
    expect(started.sort()).toEqual(['/a', '/b']);
    finish();
    finish();
    await Promise.all([a, b]);
  });

  it('passes a failure to the writers sharing the sync, and syncs again afterwards', async () => {
    let calls = 0;
    const syncs = new DirectorySyncs(async () => {
      calls++;
      if (calls === 1) throw new Error('EIO');
    });
    await expect(Promise.all([syncs.sync('/d'), syncs.sync('/d')])).rejects.toThrow('EIO');
    await syncs.sync('/d');
    expect(calls).toBe(2);
  });

  it('fsyncs a real directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'som-fs-sync-'));
    try {
      await new DirectorySyncs().sync(dir);
      await expect(new DirectorySyncs().sync(join(dir, 'missing'))).rejects.toMatchObject({
        code: 'ENOENT',
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
