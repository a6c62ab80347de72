/**
 * Path safety and the on-disk layout, on a real directory: no key reaches outside the root
 * or into som's own files, links are never followed, every other key is kept.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ObjectStore, SomError, compareObjectKeys } from '@som/core';
import { FsObjectDriver } from '@som/fs';
import { VERIFIED_FOR_MS } from '../directories';

const base = mkdtempSync(join(tmpdir(), 'som-fs-paths-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

let counter = 0;
/** A store on a fresh root, with the root's path. */
function freshStore(): { store: ObjectStore; root: string } {
  const root = join(base, `root${counter++}`);
  return { store: new ObjectStore(new FsObjectDriver({ root })), root };
}

async function keys(store: ObjectStore, prefix = ''): Promise<string[]> {
  const found: string[] = [];
  for await (const object of store.listAll(prefix)) found.push(object.key);
  return found;
}

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  return promise.then(
    () => undefined,
    (err: unknown) => (err instanceof SomError ? err.code : `not a SomError: ${String(err)}`),
  );
}

describe('fs store paths', () => {
  it.each(['../escape', 'a/../../escape', '/etc/passwd', 'a//b', 'a/', './a', 'a\\..\\b', 'C:\\x'])(
    'rejects %j with InvalidArgument, writing nothing',
    async (key) => {
      const { store, root } = freshStore();
      await store.put('seed', 'x');
      expect(await codeOf(store.put(key, 'x'))).toBe('InvalidArgument');
      expect(await codeOf(store.head(key))).toBe('InvalidArgument');
      expect(await codeOf(store.get(key))).toBe('InvalidArgument');
      expect(await codeOf(store.delete(key))).toBe('InvalidArgument');
      expect(readdirSync(root).sort()).toEqual(['.seed.obj.json', '.som', 'seed.obj']);
      expect(existsSync(join(base, 'escape'))).toBe(false);
    },
  );

  it('stores keys that look like som files as ordinary objects, leaving som files alone', async () => {
    const { store, root } = freshStore();
    await store.put('a', 'x');
    const format = readFileSync(join(root, '.som', 'format.json'), 'utf8');
    const tricky = [
      '.som/format.json',
      '.som/tmp/x',
      'a/.a.obj.json',
      'a.obj',
      '.a.obj.json',
      'x.cont/y',
    ];
    for (const key of tricky) await store.put(key, `content of ${key}`);
    for (const key of tricky)
      expect((await store.getBuffer(key)).toString()).toBe(`content of ${key}`);
    expect(readFileSync(join(root, '.som', 'format.json'), 'utf8')).toBe(format);
    expect((await store.head('a')).size).toBe(1);
    expect(await keys(store)).toEqual(['a', ...tricky].sort(compareObjectKeys));
  });

  it('keeps keys that are prefixes of other keys', async () => {
    const { store } = freshStore();
    const all = ['a', 'a/b', 'a/b/c', 'a.b', 'a-b', 'a0', 'b'];
    for (const key of all) await store.put(key, key);
    for (const key of all) expect((await store.getBuffer(key)).toString()).toBe(key);
    expect(await keys(store)).toEqual([...all].sort(compareObjectKeys));
    await store.delete('a/b');
    expect(await keys(store)).toEqual(['a', 'a-b', 'a.b', 'a/b/c', 'a0', 'b']);
    const page = await store.list({ prefix: 'a', delimiter: '/' });
    expect(page).toMatchObject({ prefixes: ['a/'] });
    expect(page.objects.map((o) => o.key)).toEqual(['a', 'a-b', 'a.b', 'a0']);
  });

  it('keeps long segments and long keys, in order among their neighbours', async () => {
    const { store } = freshStore();
    const long = 'x'.repeat(600);
    const all = [
      `long/${long}`,
      `long/${long}/child`,
      `long/${long}!`,
      `long/${long}0`,
      `long/${'x'.repeat(300)}`,
      `long/${'\u00e9'.repeat(300)}`,
      `long/${'%'.repeat(340)}`,
      'x'.repeat(1019) + '.dcm',
    ];
    for (const key of all) await store.put(key, key.slice(-10));
    for (const key of all) expect((await store.head(key)).key).toBe(key);
    expect(await keys(store)).toEqual([...all].sort(compareObjectKeys));
    const page = await store.list({ prefix: `long/${long}`, delimiter: '/' });
    expect(page.prefixes).toEqual([`long/${long}/`]);
    expect(page.objects.map((o) => o.key)).toEqual([
      `long/${long}`,
      `long/${long}!`,
      `long/${long}0`,
    ]);
  });

  it('lays out normal keys readably: the data file is the object, the attributes are hidden', async () => {
    const { store, root } = freshStore();
    await store.put('Collection/c/Entity/e/Images/1.2.3', 'DICM bytes', {
      contentType: 'application/dicom',
    });
    const dir = join(root, 'Collection', 'c', 'Entity', 'e', 'Images');
    expect(readdirSync(dir).sort()).toEqual(['.1.2.3.obj.json', '1.2.3.obj']);
    expect(readFileSync(join(dir, '1.2.3.obj'), 'utf8')).toBe('DICM bytes');
    expect(JSON.parse(readFileSync(join(dir, '.1.2.3.obj.json'), 'utf8'))).toMatchObject({
      key: 'Collection/c/Entity/e/Images/1.2.3',
      contentType: 'application/dicom',
    });
  });

  it('never follows a symbolic link inside the root, and never lists one', async () => {
    const { store, root } = freshStore();
    await store.put('inside/x', 'x');
    const outside = join(base, `outside${counter++}`);
    mkdirSync(outside);
    writeFileSync(join(outside, 'secret.obj'), 'secret');
    symlinkSync(outside, join(root, 'evil'));
    symlinkSync(join(outside, 'secret.obj'), join(root, 'inside', 'link.obj'));
    expect(await codeOf(store.put('evil/planted', 'x'))).toBe('InvalidArgument');
    expect(await codeOf(store.get('evil/secret'))).toBe('InvalidArgument');
    expect(await codeOf(store.head('evil/secret'))).toBe('InvalidArgument');
    expect(await codeOf(store.get('inside/link'))).toBe('InvalidArgument');
    expect(await codeOf(store.head('inside/link'))).toBe('InvalidArgument');
    expect(await codeOf(store.list({ prefix: 'evil/' }))).toBe('InvalidArgument');
    expect(readdirSync(outside)).toEqual(['secret.obj']);
    expect(await keys(store)).toEqual(['inside/x']);
    const error = await store.put('evil/planted', 'x').catch((err: unknown) => err);
    expect((error as SomError).message).toMatch(/evil\/planted.*symbolic link/);
  });

  it('checks a directory again once it has been trusted for VERIFIED_FOR_MS', async () => {
    const { store, root } = freshStore();
    await store.put('d/x', 'x');
    const outside = join(base, `moved${counter++}`);
    renameSync(join(root, 'd'), outside);
    symlinkSync(outside, join(root, 'd'));
    await new Promise((resolve) => setTimeout(resolve, VERIFIED_FOR_MS + 50));
    expect(await codeOf(store.put('d/y', 'y'))).toBe('InvalidArgument');
    expect(await codeOf(store.get('d/x'))).toBe('InvalidArgument');
    expect(readdirSync(outside).sort()).toEqual(['.x.obj.json', 'x.obj']);
  });

  it('ignores files it did not write when listing', async () => {
    const { store, root } = freshStore();
    await store.put('c/one', '1');
    writeFileSync(join(root, 'c', 'notes.txt'), 'not an object');
    writeFileSync(join(root, 'c', '.DS_Store'), '');
    mkdirSync(join(root, 'c', 'dir.obj'));
    writeFileSync(join(root, 'c', 'odd%2Ename.obj'), 'not canonical');
    mkdirSync(join(root, 'empty', 'deeper'), { recursive: true });
    expect(await keys(store)).toEqual(['c/one']);
    expect((await store.list({ delimiter: '/' })).prefixes).toEqual(['c/']);
  });

  it('refuses a root that is a non-empty directory of something else, or of a newer format', async () => {
    const foreign = join(base, `foreign${counter++}`);
    mkdirSync(foreign);
    writeFileSync(join(foreign, 'thesis.tex'), 'precious');
    const store = new ObjectStore(new FsObjectDriver({ root: foreign }));
    const err = await store.put('a', 'x').catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'FailedPrecondition',
      message: expect.stringMatching(/is not empty and is not a som object store/),
    });
    expect(readdirSync(foreign)).toEqual(['thesis.tex']);

    const { store: newer, root } = freshStore();
    await newer.put('a', 'x');
    writeFileSync(join(root, '.som', 'format.json'), '{"format":"som-fs","version":2}\n');
    const later = new ObjectStore(new FsObjectDriver({ root }));
    expect(await codeOf(later.head('a'))).toBe('FailedPrecondition');
  });

  it('prunes directories emptied by deletes, up to the root', async () => {
    const { store, root } = freshStore();
    await store.put('Collection/c/Entity/e/Images/i', 'x');
    await store.put('Collection/c/Entity/f/Images/i', 'x');
    await store.delete('Collection/c/Entity/e/Images/i');
    expect(readdirSync(join(root, 'Collection', 'c', 'Entity'))).toEqual(['f']);
    await store.delete('Collection/c/Entity/f/Images/i');
    expect(readdirSync(root)).toEqual(['.som']);
  });
});
