/**
 * What crashes and outside changes leave on disk, built by hand on a real directory: the
 * store never lists its own leftovers, answers with attributes that describe the bytes, and
 * cleans up.
 */
import {
  copyFileSync,
  existsSync,
  lstatSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
  mkdtempSync,
} from 'node:fs';
import { createHash } from 'node:crypto';
import { getEventListeners } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { ObjectStore, SomError } from '@som/core';
import { FsObjectDriver, STALE_TEMP_MS } from '@som/fs';
import { pendingSidecarName } from '../key-encoding';
import { identityOf, type Sidecar } from '../sidecar';

const base = mkdtempSync(join(tmpdir(), 'som-fs-crash-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

let counter = 0;
function freshStore(): { store: ObjectStore; root: string } {
  const root = join(base, `root${counter++}`);
  return { store: new ObjectStore(new FsObjectDriver({ root })), root };
}

const md5 = (text: string): string => createHash('md5').update(text).digest('hex');

/** The files of som's temporary directory. */
const temps = (root: string): string[] => readdirSync(join(root, '.som', 'tmp'));

/**
 * Replay a put of `text` to `dir/name.obj` (key `key`) that stopped after renaming the data
 * file and before renaming its pending sidecar into place.
 */
function interruptedPut(
  root: string,
  dir: string,
  name: string,
  key: string,
  text: string,
  contentType: string,
): void {
  const temp = join(root, '.som', 'tmp', 'interrupted');
  writeFileSync(temp, text);
  const sidecar: Sidecar = {
    version: 1,
    key,
    size: Buffer.byteLength(text),
    md5: md5(text),
    contentType,
    metadata: { step: 'pending' },
    file: identityOf(lstatSync(temp, { bigint: true })),
  };
  writeFileSync(
    join(dir, pendingSidecarName(`${name}.obj`, '00000000deadbeef')),
    JSON.stringify(sidecar),
  );
  renameSync(temp, join(dir, `${name}.obj`));
}

async function keys(store: ObjectStore): Promise<string[]> {
  const found: string[] = [];
  for await (const object of store.listAll('')) found.push(object.key);
  return found;
}

describe('fs store after crashes', () => {
  it('finishes a put interrupted between its two renames (rolls forward from the pending sidecar)', async () => {
    const { store, root } = freshStore();
    await store.put('d/x', 'old bytes', { contentType: 'text/plain', metadata: { step: 'old' } });
    interruptedPut(root, join(root, 'd'), 'x', 'd/x', 'new DICM bytes', 'application/dicom');
    expect(await keys(store)).toEqual(['d/x']);
    const head = await store.head('d/x');
    expect(head).toMatchObject({
      size: 14,
      md5: md5('new DICM bytes'),
      contentType: 'application/dicom',
      metadata: { step: 'pending' },
    });
    expect(readdirSync(join(root, 'd')).sort()).toEqual(['.x.obj.json', 'x.obj']);
    expect((await store.getBuffer('d/x')).toString()).toBe('new DICM bytes');
  });

  it('ignores the pending sidecar of a put that stopped before its data rename, and a delete removes it', async () => {
    const { store, root } = freshStore();
    await store.put('d/x', 'kept', { contentType: 'text/plain' });
    const orphan: Sidecar = {
      version: 1,
      key: 'd/x',
      size: 3,
      md5: md5('new'),
      contentType: 'application/dicom',
      metadata: {},
      file: { ino: '1', size: 3, mtimeNs: '1' },
    };
    writeFileSync(
      join(root, 'd', pendingSidecarName('x.obj', '0123456789abcdef')),
      JSON.stringify(orphan),
    );
    writeFileSync(join(root, '.som', 'tmp', 'fedcba9876543210'), 'new');
    expect(await keys(store)).toEqual(['d/x']);
    expect(await store.head('d/x')).toMatchObject({ md5: md5('kept'), contentType: 'text/plain' });
    await store.delete('d/x');
    expect(existsSync(join(root, 'd'))).toBe(false);
  });

  it('removes the sidecar of an object whose data file was lost, and still says NotFound', async () => {
    const { store, root } = freshStore();
    await store.put('d/x', 'lost', { contentType: 'text/plain' });
    await store.put('e/y', 'kept', { contentType: 'text/plain' });
    unlinkSync(join(root, 'd', 'x.obj'));
    expect(await keys(store)).toEqual(['e/y']);
    await expect(store.delete('d/x')).rejects.toMatchObject({ code: 'NotFound' });
    expect(existsSync(join(root, 'd'))).toBe(false);
    await store.delete('d/x', { ignoreMissing: true });
    expect(await keys(store)).toEqual(['e/y']);
  });

  it('removes temporary files of crashed writes when it opens, keeping recent ones', async () => {
    const { store, root } = freshStore();
    await store.put('a', 'x');
    const stale = join(root, '.som', 'tmp', '1111111111111111');
    const recent = join(root, '.som', 'tmp', '2222222222222222');
    writeFileSync(stale, 'half an upload');
    writeFileSync(recent, 'an upload in progress elsewhere');
    const old = (Date.now() - STALE_TEMP_MS - 60_000) / 1000;
    utimesSync(stale, old, old);
    const reopened = new ObjectStore(new FsObjectDriver({ root }));
    expect(await keys(reopened)).toEqual(['a']);
    expect(temps(root)).toEqual(['2222222222222222']);
  });

  it('describes a data file without a sidecar by its bytes (copied in by hand, or sidecar lost)', async () => {
    const { store, root } = freshStore();
    await store.put('d/seed', 's');
    writeFileSync(join(root, 'd', 'manual.obj'), 'hand made');
    expect(await keys(store)).toEqual(['d/manual', 'd/seed']);
    expect(await store.head('d/manual')).toMatchObject({
      size: 9,
      md5: md5('hand made'),
      contentType: 'application/octet-stream',
      metadata: {},
    });
    expect(existsSync(join(root, 'd', '.manual.obj.json'))).toBe(true);
  });

  it('keeps the attributes of files restored from a backup (new inodes, same bytes)', async () => {
    const { store, root } = freshStore();
    await store.put('d/x', 'DICM', { contentType: 'application/dicom', metadata: { alias: 'P1' } });
    const data = join(root, 'd', 'x.obj');
    copyFileSync(data, `${data}.copy`);
    renameSync(`${data}.copy`, data); // a new inode with the same bytes, as a restore makes
    expect(await store.head('d/x')).toMatchObject({
      md5: md5('DICM'),
      contentType: 'application/dicom',
      metadata: { alias: 'P1' },
    });
  });

  it('answers with the real md5 when the bytes were changed behind its back, so verify can see it', async () => {
    const { store, root } = freshStore();
    await store.put('d/x', 'original', { contentType: 'application/dicom' });
    writeFileSync(join(root, 'd', 'x.obj'), 'tampered!');
    expect(await store.head('d/x')).toMatchObject({
      size: 9,
      md5: md5('tampered!'),
      contentType: 'application/octet-stream',
    });
  });

  it('treats a torn sidecar as missing and rewrites it', async () => {
    const { store, root } = freshStore();
    await store.put('d/x', 'bytes');
    writeFileSync(join(root, 'd', '.x.obj.json'), '{"version":1,"ke');
    expect(await store.head('d/x')).toMatchObject({ md5: md5('bytes') });
    expect(JSON.parse(readFileSync(join(root, 'd', '.x.obj.json'), 'utf8'))).toMatchObject({
      key: 'd/x',
      md5: md5('bytes'),
    });
  });

  it('leaves nothing when a write is aborted midway, and keeps the previous object', async () => {
    const { store, root } = freshStore();
    await store.put('d/x', 'previous');
    const controller = new AbortController();
    let sent = 0;
    const source = new Readable({
      read() {
        sent++;
        if (sent === 3) controller.abort();
        this.push(Buffer.alloc(64 * 1024, sent));
      },
    });
    const err = await store
      .put('d/x', source, { signal: controller.signal })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SomError);
    expect((err as SomError).code).toBe('Canceled');
    expect((await store.getBuffer('d/x')).toString()).toBe('previous');
    expect(temps(root)).toEqual([]);
    expect(readdirSync(join(root, 'd')).sort()).toEqual(['.x.obj.json', 'x.obj']);
  });

  it('stores nothing when the signal is aborted before the write, and leaves no listener on a signal', async () => {
    const { store, root } = freshStore();
    const signal = new AbortController().signal;
    for (let i = 0; i < 20; i++) await store.put(`d/ok${i}`, `bytes ${i}`, { signal });
    expect(getEventListeners(signal, 'abort')).toEqual([]); // one signal can serve a whole run
    const controller = new AbortController();
    controller.abort();
    const err = await store
      .put('d/never', Readable.from([Buffer.from('x')]), { signal: controller.signal })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'Canceled' });
    expect(await store.exists('d/never')).toBe(false);
    expect(temps(root)).toEqual([]);
  });

  it('leaves no temporary file after an md5 mismatch or a failing source', async () => {
    const { store, root } = freshStore();
    await store.put('d/x', 'x', { md5: md5('y') }).catch(() => undefined);
    const failing = new Readable({
      read() {
        this.destroy(new Error('disk of the source failed'));
      },
    });
    await store.put('d/y', failing).catch(() => undefined);
    expect(temps(root)).toEqual([]);
    expect(existsSync(join(root, 'd'))).toBe(false);
  });

  it('keeps puts and deletes consistent when they race in one directory', async () => {
    const { store } = freshStore();
    for (let round = 0; round < 30; round++) {
      await store.put(`race/r${round}/a`, 'a');
      const results = await Promise.allSettled([
        store.delete(`race/r${round}/a`),
        store.put(`race/r${round}/b`, 'b'),
        store.put(`race/r${round}/a`, 'again'),
      ]);
      expect(
        results.filter(
          (r) => r.status === 'rejected' && (r.reason as SomError).code !== 'NotFound',
        ),
      ).toEqual([]);
      expect((await store.getBuffer(`race/r${round}/b`)).toString()).toBe('b');
    }
    const listed = await keys(store);
    for (const key of listed) expect(await store.exists(key)).toBe(true);
  });
});
