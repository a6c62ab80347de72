import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { isSomError, SomError } from '@som/core';
import { loadOrCreateKey } from './key-file';
import { remapUid } from './keyed';
import { LocalPseudonymiser } from './pseudonymiser';

describe('loadOrCreateKey', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'som-key-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('creates a 0600 key file of 32 random bytes in hex on first use, in a new 0700 directory', async () => {
    const path = join(dir, 'som-data', 'som.key');
    const created: string[] = [];
    const key = await loadOrCreateKey(path, { onCreate: (p) => created.push(p) });
    expect(created).toEqual([path]);
    const text = await readFile(path, 'utf8');
    expect(text).toMatch(/^[0-9a-f]{64}\n$/);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'som-data'))).mode & 0o777).toBe(0o700);
    // The key is the file's text: SOM_SECRET="$(cat som.key)" gives the same aliases.
    expect(remapUid(key, '1.2.3')).toBe(remapUid(text.trim(), '1.2.3'));
  });

  it('reuses the key on later runs, so aliases stay the same', async () => {
    const path = join(dir, 'som.key');
    const first = await loadOrCreateKey(path);
    const created: string[] = [];
    const second = await loadOrCreateKey(path, { onCreate: (p) => created.push(p) });
    expect(created).toEqual([]);
    expect(second.fingerprint).toBe(first.fingerprint);
    const a = new LocalPseudonymiser({ key: first });
    const b = new LocalPseudonymiser({ key: second });
    expect(b.entityAlias('MRN-1')).toBe(a.entityAlias('MRN-1'));
  });

  it('makes distinct keys in distinct files', async () => {
    const a = await loadOrCreateKey(join(dir, 'a.key'));
    const b = await loadOrCreateKey(join(dir, 'b.key'));
    expect(a.fingerprint).not.toBe(b.fingerprint);
  });

  it('agrees on one key when several first runs race', async () => {
    const path = join(dir, 'race.key');
    const keys = await Promise.all(Array.from({ length: 12 }, () => loadOrCreateKey(path)));
    expect(new Set(keys.map((k) => k.fingerprint)).size).toBe(1);
    expect((await readFile(path, 'utf8')).trim()).toHaveLength(64);
  });

  async function failure(path: string): Promise<SomError> {
    const err = await loadOrCreateKey(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SomError);
    return err as SomError;
  }

  it('refuses a key file readable by group or others, without showing the key', async () => {
    const path = join(dir, 'open.key');
    const secret = 'f'.repeat(64);
    await writeFile(path, `${secret}\n`, { mode: 0o644 });
    await chmod(path, 0o644);
    const err = await failure(path);
    expect(isSomError(err, 'FailedPrecondition')).toBe(true);
    expect(err.message).toBe(
      `pseudonymisation key file ${path} is accessible by group or others (mode 0644); run: chmod 600 ${path}`,
    );
    expect(inspect(err)).not.toContain(secret);
    await chmod(path, 0o600);
    await expect(loadOrCreateKey(path)).resolves.toBeDefined();
  });

  it('refuses an empty or short key file, without showing the key', async () => {
    const path = join(dir, 'short.key');
    await writeFile(path, 'tooShortKey123\n', { mode: 0o600 });
    const err = await failure(path);
    expect(isSomError(err, 'FailedPrecondition')).toBe(true);
    expect(err.message).toContain('holds a key of 14 characters; at least 32 are required');
    expect(inspect(err)).not.toContain('tooShortKey123');
    await writeFile(path, '\n');
    expect((await failure(path)).message).toContain(`${path} is empty`);
  });

  it('refuses a directory', async () => {
    const err = await failure(dir);
    expect(isSomError(err, 'InvalidArgument')).toBe(true);
    expect(err.message).toContain('is not a regular file');
  });
});
