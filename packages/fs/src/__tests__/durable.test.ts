/**
 * Shared directory fsyncs (the scheduling, with a directory "sync" the test controls), and a
 * real one on disk; the bookkeeping of deferred fsyncs (what a flush covers).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeferredSyncs, DirectorySyncs } from '../durable';

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

describe('deferred fsyncs', () => {
  /** Deferred fsyncs whose files and directories are "synced" into `synced`. */
  function recording(fail: (path: string) => Error | undefined = () => undefined): {
    deferred: DeferredSyncs;
    synced: string[];
  } {
    const synced: string[] = [];
    const syncOne = async (path: string): Promise<void> => {
      await tick();
      const error = fail(path);
      if (error !== undefined) throw error;
      synced.push(path);
    };
    return { deferred: new DeferredSyncs(new DirectorySyncs(syncOne), syncOne), synced };
  }

  it('fsyncs each file and directory added before the flush once, and leaves later ones to the next', async () => {
    const { deferred, synced } = recording();
    deferred.add(['/d/a', '/d/.a.json'], ['/d', '/']);
    deferred.add(['/d/b'], ['/d']);
    const first = deferred.flush();
    deferred.add(['/e/c'], ['/e']);
    await first;
    expect(synced.sort()).toEqual(['/', '/d', '/d/.a.json', '/d/a', '/d/b']);
    synced.length = 0;
    await deferred.flush();
    expect(synced.sort()).toEqual(['/e', '/e/c']);
    synced.length = 0;
    await deferred.flush();
    expect(synced).toEqual([]);
  });

  it('takes a file or directory gone by the flush as done, and rejects with any other failure once all settled', async () => {
    const enoent = (path: string): Error =>
      Object.assign(new Error(`ENOENT ${path}`), { code: 'ENOENT' });
    const { deferred, synced } = recording((path) =>
      path === '/gone' ? enoent(path) : path === '/bad' ? new Error('EIO') : undefined,
    );
    deferred.add(['/gone', '/kept'], []);
    await deferred.flush();
    expect(synced).toEqual(['/kept']);
    deferred.add(['/bad', '/also'], ['/d']);
    await expect(deferred.flush()).rejects.toThrow('EIO');
    expect(synced.sort()).toEqual(['/also', '/d', '/kept']);
    await deferred.flush(); // a failed fsync is not retried: it would answer success falsely
  });
});
