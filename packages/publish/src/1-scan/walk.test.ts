import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { walkInputs, type WalkEntry } from './walk';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'som-walk-'));
});
afterEach(() => {
  chmodSync(dir, 0o700);
  rmSync(dir, { recursive: true, force: true });
});

async function walk(inputs: string[], exclude?: string[]): Promise<WalkEntry[]> {
  const out: WalkEntry[] = [];
  for await (const entry of walkInputs(inputs, { cwd: dir, ...(exclude ? { exclude } : {}) }))
    out.push(entry);
  return out;
}

function touch(path: string, text = 'x'): void {
  mkdirSync(join(dir, path, '..'), { recursive: true });
  writeFileSync(join(dir, path), text);
}

describe('walkInputs', () => {
  it('yields files in a stable order with their path relative to each input directory', async () => {
    touch('in/b/2.dcm');
    touch('in/b/1.dcm', 'xyz');
    touch('in/a.dcm');
    touch('loose.dcm');
    const entries = await walk(['in', 'loose.dcm', 'in/b']);
    expect(entries.map((e) => (e.kind === 'file' ? [e.path, e.relative, e.size] : e))).toEqual([
      ['in/a.dcm', 'a.dcm', 1],
      ['in/b/1.dcm', 'b/1.dcm', 3],
      ['in/b/2.dcm', 'b/2.dcm', 1],
      ['loose.dcm', 'loose.dcm', 1],
      // in/b was walked already as part of in: each directory once.
    ]);
    expect(entries[0]).toMatchObject({ absolute: join(dir, 'in', 'a.dcm') });
  });

  it('survives symbolic link loops and reports broken links, missing paths and special files', async () => {
    touch('in/sub/f.dcm');
    symlinkSync('..', join(dir, 'in', 'sub', 'up'));
    symlinkSync(join(dir, 'in'), join(dir, 'in', 'self'));
    symlinkSync(join(dir, 'nowhere'), join(dir, 'in', 'broken'));
    execFileSync('mkfifo', [join(dir, 'in', 'pipe')]);
    const entries = await walk(['in', 'missing']);
    expect(entries).toEqual([
      { kind: 'problem', path: 'in/broken', reason: 'broken symbolic link' },
      { kind: 'problem', path: 'in/pipe', reason: 'not a regular file (FIFO, socket or device)' },
      expect.objectContaining({ kind: 'file', path: 'in/sub/f.dcm', relative: 'sub/f.dcm' }),
      { kind: 'problem', path: 'missing', reason: 'does not exist' },
    ]);
  });

  it('follows links to files and directories outside the input', async () => {
    touch('elsewhere/x.dcm');
    mkdirSync(join(dir, 'in'));
    symlinkSync(join(dir, 'elsewhere'), join(dir, 'in', 'linked'));
    symlinkSync(join(dir, 'elsewhere', 'x.dcm'), join(dir, 'in', 'y.dcm'));
    expect((await walk(['in'])).map((e) => e.path)).toEqual(['in/linked/x.dcm', 'in/y.dcm']);
  });

  it('reports an unreadable directory and goes on', async () => {
    touch('in/locked/secret.dcm');
    touch('in/open.dcm');
    chmodSync(join(dir, 'in', 'locked'), 0o000);
    try {
      const entries = await walk(['in']);
      if (process.getuid?.() === 0)
        expect(entries.map((e) => e.path)).toEqual(['in/locked/secret.dcm', 'in/open.dcm']);
      else
        expect(entries).toEqual([
          { kind: 'problem', path: 'in/locked', reason: 'directory permission denied' },
          expect.objectContaining({ path: 'in/open.dcm' }),
        ]);
    } finally {
      chmodSync(join(dir, 'in', 'locked'), 0o700);
    }
  });

  it('leaves out excluded directories and files', async () => {
    touch('in/a.dcm');
    touch('in/out/written.dcm');
    touch('in/key');
    expect((await walk(['in'], ['in/out', 'in/key', 'not-there'])).map((e) => e.path)).toEqual([
      'in/a.dcm',
    ]);
  });
});
