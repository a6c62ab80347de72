/**
 * Group commit in the fs store, on a real disk, through the built package run in a child
 * process: what a deferred put and `flush` fsync (watched with Debian's strace), and what
 * kill -9 at random points of batches leaves (every object a "record" names is there, with
 * its md5).
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ObjectStore } from '@som/core';
import { FsObjectDriver } from '@som/fs';

jest.setTimeout(120_000);

const base = realpathSync(mkdtempSync(join(tmpdir(), 'som-fs-group-')));
afterAll(() => rmSync(base, { recursive: true, force: true }));

/** The built packages the child processes load. */
const FS_DIST = join(__dirname, '..', '..', 'dist');
const CORE_DIST = join(__dirname, '..', '..', '..', 'core', 'dist');

/** A child's script: `body` runs with `store` (an ObjectStore over `root`) and `fs`. */
function childScript(root: string, body: string): string {
  return `
const fs = require('node:fs');
const crypto = require('node:crypto');
const { FsObjectDriver } = require(${JSON.stringify(FS_DIST)});
const { ObjectStore } = require(${JSON.stringify(CORE_DIST)});
const store = new ObjectStore(new FsObjectDriver({ root: ${JSON.stringify(root)} }));
(async () => { ${body} })().catch((err) => { console.error(err); process.exit(1); });
`;
}

const md5 = (bytes: Buffer): string => createHash('md5').update(bytes).digest('hex');

/** One system call strace saw: its name and the path of its first argument (`-y`). */
interface Call {
  name: string;
  path: string;
}

/**
 * The fsyncs and marker writes of a child run under strace, in order of starting (`-y` names
 * each descriptor's path; a call split across threads is reported from its first half).
 */
function tracedCalls(root: string, body: string): Call[] {
  const trace = join(base, `trace-${process.hrtime.bigint()}.txt`);
  const run = spawnSync(
    'strace',
    [
      '-f',
      '-qq',
      '-y',
      '-e',
      'trace=fsync,fdatasync,write',
      '-e',
      'signal=none',
      '-o',
      trace,
    ].concat([process.execPath, '-e', childScript(root, body)]),
    { encoding: 'utf8' },
  );
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
  const calls: Call[] = [];
  for (const line of readFileSync(trace, 'utf8').split('\n')) {
    const call = /^\d+ +(fsync|fdatasync|write)\(\d+<([^>]*)>(, "([A-Z]+)\\n")?/.exec(line);
    if (call === null) continue;
    if (call[1] === 'write') {
      if (call[4] !== undefined) calls.push({ name: 'marker', path: call[4] });
    } else calls.push({ name: 'fsync', path: call[2] as string });
  }
  return calls;
}

/** The paths fsynced between the markers `from` and `to` (whole trace ends when absent). */
function fsyncedBetween(calls: Call[], from: string | undefined, to: string | undefined): string[] {
  const start =
    from === undefined ? 0 : calls.findIndex((c) => c.name === 'marker' && c.path === from);
  const end =
    to === undefined ? calls.length : calls.findIndex((c) => c.name === 'marker' && c.path === to);
  expect(start).toBeGreaterThanOrEqual(0);
  expect(end).toBeGreaterThan(start);
  return calls
    .slice(start, end)
    .filter((c) => c.name === 'fsync')
    .map((c) => c.path);
}

describe('fs store group commit (strace)', () => {
  it('fsyncs nothing for deferred puts of new keys, then every file and directory they touched at the flush', () => {
    const root = join(base, 'traced');
    const calls = tracedCalls(
      root,
      `
await store.put('seed', 'made before');
fs.writeSync(1, 'PUTS\\n');
for (let i = 0; i < 12; i++)
  await store.put('a/' + (i % 3) + '/k' + i, Buffer.alloc(1000 + i, i), { durable: 'deferred' });
fs.writeSync(1, 'FLUSH\\n');
await store.flush();
fs.writeSync(1, 'FLUSHED\\n');
`,
    );
    const real = realpathSync(root);
    expect(fsyncedBetween(calls, 'PUTS', 'FLUSH')).toEqual([]);
    const flushed = new Set(fsyncedBetween(calls, 'FLUSH', 'FLUSHED'));
    const expected = [real, join(real, 'a')];
    for (let i = 0; i < 12; i++) {
      const dir = join(real, 'a', String(i % 3));
      expected.push(dir, join(dir, `k${i}.obj`), join(dir, `.k${i}.obj.json`));
    }
    for (const path of expected) expect([path, flushed.has(path)]).toEqual([path, true]);
  });

  it('makes a deferred put that replaces an object durable before it replaces it', () => {
    const root = join(base, 'replaced');
    const calls = tracedCalls(
      root,
      `
await store.put('d/x', 'first, durable');
fs.writeSync(1, 'REPLACE\\n');
await store.put('d/x', 'second, deferred', { durable: 'deferred' });
fs.writeSync(1, 'REPLACED\\n');
`,
    );
    const real = realpathSync(root);
    const synced = fsyncedBetween(calls, 'REPLACE', 'REPLACED');
    expect(synced.filter((path) => path.startsWith(join(real, '.som', 'tmp') + '/'))).toHaveLength(
      1,
    );
    expect(synced).toContain(join(real, 'd'));
  });
});

describe('fs store killed in the middle of deferred batches (kill -9)', () => {
  it('keeps every object named by a record written after a flush, with its md5, and no torn object visible', async () => {
    const root = join(base, 'killed');
    const journal = join(base, 'journal.txt');
    for (let round = 0; round < 8; round++) {
      // Batches of 25 objects put 5 at a time, deferred; flush; then their "records" (an
      // fsynced journal), as the upload's record batcher does.
      const child = spawn(
        process.execPath,
        [
          '-e',
          childScript(
            root,
            `
const journal = ${JSON.stringify(journal)};
for (let batch = 0; ; batch++) {
  const lines = await Promise.all(Array.from({ length: 5 }, async (_, lane) => {
    const out = [];
    for (let i = 0; i < 5; i++) {
      const key = 'r${round}/b' + batch + '/l' + lane + '/o' + i;
      const bytes = crypto.randomBytes(200 + Math.floor(Math.random() * 60000));
      await store.put(key, bytes, { durable: 'deferred', contentType: 'application/dicom' });
      out.push(key + ' ' + crypto.createHash('md5').update(bytes).digest('hex'));
    }
    return out.join('\\n');
  }));
  await store.flush();
  const fd = fs.openSync(journal, 'a');
  fs.writeSync(fd, lines.join('\\n') + '\\n');
  fs.fsyncSync(fd);
  fs.closeSync(fd);
  if (batch === 0) process.stdout.write('running\\n');
}
`,
          ),
        ],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
      await new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 400));
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
    }
    const store = new ObjectStore(new FsObjectDriver({ root }));
    const recorded = readFileSync(journal, 'utf8')
      .split('\n')
      .filter((line) => /^\S+ [0-9a-f]{32}$/.test(line)); // a torn last line is no record
    expect(recorded.length).toBeGreaterThanOrEqual(8 * 25);
    for (const line of recorded) {
      const [key, expected] = line.split(' ') as [string, string];
      expect([key, (await store.head(key)).md5]).toEqual([key, expected]);
      expect([key, md5(await store.getBuffer(key))]).toEqual([key, expected]);
    }
    for await (const object of store.listAll('')) {
      const head = await store.head(object.key);
      expect([object.key, md5(await store.getBuffer(object.key))]).toEqual([object.key, head.md5]);
      expect(head.contentType).toBe('application/dicom');
    }
  });
});
