/**
 * The Google emulators start, answer, restart empty on the same port, and stop without
 * leaving a process behind, even when the process that started them is killed.
 */
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startDatastoreEmulator, startGcsEmulator } from '.';

const run = promisify(execFile);

/** True while a process with this pid exists. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Pids of processes whose command line contains `text`. */
async function pidsMatching(text: string): Promise<number[]> {
  const { stdout } = await run('ps', ['-eo', 'pid=,args=']);
  return stdout
    .split('\n')
    .filter((line) => line.includes(text))
    .map((line) => Number.parseInt(line.trim(), 10));
}

async function waitUntil(
  condition: () => boolean | Promise<boolean>,
  timeoutMs: number,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return condition();
}

describe('Datastore emulator', () => {
  it('answers, resets, restarts empty on the same port and stops', async () => {
    const emulator = await startDatastoreEmulator();
    try {
      expect(emulator.host).toBe(`127.0.0.1:${emulator.port}`);
      expect((await fetch(`${emulator.apiEndpoint}/`)).status).toBe(200);
      await emulator.reset();
      await emulator.restart();
      expect((await fetch(`${emulator.apiEndpoint}/`)).status).toBe(200);
      expect(await pidsMatching(`--port=${emulator.port}`)).toHaveLength(1);
    } finally {
      await emulator.stop();
    }
    await expect(fetch(`${emulator.apiEndpoint}/`)).rejects.toThrow();
    expect(await pidsMatching(`--port=${emulator.port}`)).toEqual([]);
  }, 60_000);
});

describe('GCS emulator', () => {
  it('stores an object, restarts empty on the same port and stops', async () => {
    const emulator = await startGcsEmulator();
    const object = `${emulator.apiEndpoint}/upload/storage/v1/b/probe/o?uploadType=media&name=hello`;
    const read = `${emulator.apiEndpoint}/storage/v1/b/probe/o/hello?alt=media`;
    try {
      expect((await fetch(object, { method: 'POST', body: 'hi' })).status).toBe(200);
      expect(await (await fetch(read)).text()).toBe('hi');
      await emulator.restart();
      expect((await fetch(read)).status).toBe(404);
    } finally {
      await emulator.stop();
    }
    await expect(fetch(read)).rejects.toThrow();
  }, 60_000);
});

describe('orphans', () => {
  it('stops both emulators when the process that started them is killed', async () => {
    const script = `
      const { startDatastoreEmulator, startGcsEmulator } = require(${JSON.stringify(join(__dirname, '..', 'dist'))});
      Promise.all([startDatastoreEmulator(), startGcsEmulator()]).then(([d, g]) => console.log(JSON.stringify({ d: d.port, g: g.port })));
      setInterval(() => {}, 1000);
    `;
    const parent = spawn(process.execPath, ['-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const [line] = (await once(parent.stdout, 'data')) as [Buffer];
    const ports = JSON.parse(line.toString()) as { d: number; g: number };
    const children = [...(await pidsMatching(`--port=${ports.d}`))];
    expect(children).toHaveLength(1);
    expect((await fetch(`http://127.0.0.1:${ports.g}/`)).status).toBeGreaterThan(0);
    parent.kill('SIGKILL');
    expect(await waitUntil(() => children.every((pid) => !alive(pid)), 10_000)).toBe(true);
    expect(
      await waitUntil(
        () =>
          fetch(`http://127.0.0.1:${ports.g}/`).then(
            () => false,
            () => true,
          ),
        10_000,
      ),
    ).toBe(true);
  }, 60_000);
});
