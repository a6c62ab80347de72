/**
 * The test S3 server (`startSwiftS3` of @som/testing) keeps data across a restart,
 * refuses connections while halted, and leaves no process behind: after stop(), and when
 * the process that started it is killed.
 */
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'minio';
import { startSwiftS3 } from '@som/testing';

/** Pids of live processes whose command line contains `text`. */
async function pidsMatching(text: string): Promise<number[]> {
  const { stdout } = await promisify(execFile)('ps', ['-eo', 'pid=,stat=,args=']);
  return stdout
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter(
      ([, stat, ...args]) =>
        stat !== undefined && !stat.startsWith('Z') && args.join(' ').includes(text),
    )
    .map(([pid]) => Number(pid));
}

async function waitUntil(condition: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return condition();
}

it('keeps objects across a restart, refuses connections while halted, and stops every process', async () => {
  const server = await startSwiftS3();
  try {
    expect((await fetch(`${server.endpoint}/healthcheck`)).status).toBe(200);
    // account, container, object and proxy name the directory (memcached does not: it is stopped the same way)
    expect(await pidsMatching(server.dir)).toHaveLength(4);
    const client = new Client({
      endPoint: server.host,
      port: server.port,
      useSSL: false,
      accessKey: server.accessKey,
      secretKey: server.secretKey,
      region: server.region,
    });
    await client.makeBucket('probe', server.region);
    await client.putObject('probe', 'kept', Buffer.from('across restarts'));
    await server.halt();
    await expect(fetch(`${server.endpoint}/healthcheck`)).rejects.toThrow();
    expect(await pidsMatching(server.dir)).toEqual([]);
    await server.restart();
    const stream = await client.getObject('probe', 'kept');
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('across restarts');
  } finally {
    await server.stop();
  }
  expect(await pidsMatching(server.dir)).toEqual([]);
  expect(existsSync(server.dir)).toBe(false);
  await expect(fetch(`${server.endpoint}/healthcheck`)).rejects.toThrow();
}, 60_000);

it('stops every server when the process that started it is killed', async () => {
  const script = `
    require(${JSON.stringify(join(__dirname, '..', '..', 'testing', 'dist'))}).startSwiftS3()
      .then((s) => console.log(JSON.stringify({ dir: s.dir, endpoint: s.endpoint })));
    setInterval(() => {}, 1000);
  `;
  const parent = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(parent.stdout, 'data')) as [Buffer];
  const { dir, endpoint } = JSON.parse(line.toString()) as { dir: string; endpoint: string };
  expect(await pidsMatching(dir)).toHaveLength(4);
  parent.kill('SIGKILL');
  expect(await waitUntil(async () => (await pidsMatching(dir)).length === 0, 10_000)).toBe(true);
  expect(
    await waitUntil(
      () =>
        fetch(`${endpoint}/healthcheck`).then(
          () => false,
          () => true,
        ),
      10_000,
    ),
  ).toBe(true);
  // Its directory is left behind, and removed by the next start.
  expect(existsSync(dir)).toBe(true);
  await (await startSwiftS3()).stop();
  expect(existsSync(dir)).toBe(false);
}, 60_000);
