/**
 * `som serve` through the built command, over the embedded default: it prints its address,
 * QIDO-RS finds the studies `som upload` stored (the upload writes their summaries), its
 * JSON equals `som ls --json` and `som search --json`, a token guards every route without
 * ever being printed, and SIGTERM stops it cleanly. A dataset whose summaries were deleted
 * has no studies in QIDO until `som verify --repair` rebuilds them.
 */
import type { ChildProcess } from 'node:child_process';
import { entityKey, type Client } from '@som/core';
import { openClient, loadConfig } from '@som/publish';
import { SAMPLE, json, removeDir, som, startSom, tempDir, type SomResult } from './fixtures/som';

jest.setTimeout(60_000);

const TOKEN = 'e2e-serve-token-0123456789';

let cwd: string;
beforeAll(async () => {
  cwd = tempDir('serve');
  const upload = await som(['upload', SAMPLE, '--collection', 'demo'], { cwd });
  if (upload.code !== 0) throw new Error(upload.stderr);
});
afterAll(() => removeDir(cwd));

/** A running `som serve`: its address, and how to stop it. */
interface Served {
  url: string;
  child: ChildProcess;
  done: Promise<SomResult>;
}

/** Start `som serve --port 0 ...` and wait for the address it prints. */
async function serve(args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<Served> {
  const { child, done } = startSom(['serve', '--port', '0', ...args], { cwd, env });
  const firstLine = new Promise<string>((resolve) => {
    let stdout = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.includes('\n')) resolve(stdout.split('\n')[0] as string);
    });
  });
  const url = await Promise.race([firstLine, done.then((r) => `exited: ${r.stderr}`)]);
  if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(url)) throw new Error(`no address: ${url}`);
  return { url, child, done };
}

async function stop(served: Served, signal: NodeJS.Signals = 'SIGTERM'): Promise<SomResult> {
  served.child.kill(signal);
  return served.done;
}

async function getJson(url: string, token?: string): Promise<unknown> {
  const response = await fetch(url, token ? { headers: { Authorization: `Bearer ${token}` } } : {});
  expect(response.status).toBe(200);
  return response.json();
}

/** The StudyInstanceUIDs QIDO-RS lists for the collection `demo`. */
async function qidoStudies(url: string): Promise<string[]> {
  const studies = (await getJson(`${url}/dicomweb/demo/studies?limit=101&offset=0`)) as {
    '0020000D': { Value: string[] };
  }[];
  return studies.map((s) => s['0020000D'].Value[0] as string).sort();
}

/** The distinct StudyInstanceUIDs of the stored images, as `som search` gives them. */
async function storedStudies(): Promise<string[]> {
  const images = json<{ StudyInstanceUID: string }[]>(
    await som(['search', '--collection', 'demo', '--json'], { cwd }),
  );
  return [...new Set(images.map((i) => i.StudyInstanceUID))].sort();
}

describe('som serve', () => {
  it('serves what som upload stored: QIDO finds its studies, /api equals ls and search --json; SIGTERM stops it', async () => {
    const served = await serve();
    try {
      const studies = await storedStudies();
      expect(studies.length).toBeGreaterThan(1);
      expect(await qidoStudies(served.url)).toEqual(studies);
      const ls = json<unknown>(await som(['ls', 'demo', '--json'], { cwd }));
      expect(await getJson(`${served.url}/api/ls/demo`)).toEqual(ls);
      const search = json<unknown>(
        await som(['search', 'Modality=CT', '--kind', 'image', '--json'], { cwd }),
      );
      expect(await getJson(`${served.url}/api/search?term=Modality=CT&kind=image`)).toEqual(search);
      const home = await fetch(`${served.url}/`);
      expect(home.status).toBe(200);
      expect(await home.text()).toContain('demo');
    } finally {
      const result = await stop(served);
      expect(result.code).toBe(0);
      expect(result.stderr).toContain('som: SIGTERM: stopping the server');
      expect(result.stderr).toContain('som: server stopped');
    }
  });

  it('guards every route with the token of SOM_SERVE_TOKEN, and never prints it', async () => {
    const served = await serve([], { SOM_SERVE_TOKEN: TOKEN });
    let result: SomResult | undefined;
    try {
      expect((await fetch(`${served.url}/api/ls`)).status).toBe(401);
      expect(
        (await fetch(`${served.url}/api/ls`, { headers: { Authorization: 'Bearer wrong' } }))
          .status,
      ).toBe(401);
      expect(await getJson(`${served.url}/api/ls`, TOKEN)).toEqual([
        expect.objectContaining({ uid: 'demo' }),
      ]);
    } finally {
      result = await stop(served, 'SIGINT');
    }
    expect(result.code).toBe(0);
    expect(`${result.stdout}${result.stderr}`).not.toContain(TOKEN);
    expect(result.stderr).toContain('?token=<the token>');
  });

  it('refuses another interface without a token, a short token and a bad policy, before serving', async () => {
    const open = await som(['serve', '--host', '0.0.0.0', '--port', '0'], { cwd });
    expect(open.code).toBe(2);
    expect(open.stderr).toBe(
      'som: error: serving on 0.0.0.0 (not loopback) needs a token (--token or SOM_SERVE_TOKEN), or --no-auth to serve without one\n',
    );
    const short = await som(['serve', '--port', '0', '--token', 'short'], { cwd });
    expect(short.code).toBe(2);
    expect(short.stderr).toContain('the token must be at least 16 characters');
    const policy = await som(['serve', '--previews', 'some'], { cwd });
    expect(policy.code).toBe(2);
    const port = await som(['serve', '--port', '70000'], { cwd });
    expect(port.code).toBe(2);
    expect(port.stderr).toContain('--port must be a whole number from 0 to 65535');
  });

  it('lists no study of a dataset whose summaries were deleted, until som verify --repair', async () => {
    const client: Client = await openClient({ config: loadConfig({ cwd, env: {} }) });
    try {
      for await (const entity of client.listEntities('demo')) {
        for (const kind of ['Study', 'Series']) {
          const keys = [];
          const ancestor = entityKey({ collection: 'demo', entity: entity.uid });
          for await (const r of client.records.queryAll({ kind, ancestor, limit: 100 }))
            keys.push(r.key);
          await client.records.deleteMany(keys);
        }
      }
    } finally {
      await client.close();
    }
    const before = await serve();
    try {
      expect(await qidoStudies(before.url)).toEqual([]);
    } finally {
      await stop(before);
    }
    const check = await som(['verify', '--json'], { cwd });
    expect(check.code).toBe(1);
    const problems = json<{ problems: { type: string }[] }>(check).problems;
    expect(problems.length).toBe(3);
    expect(problems.every((p) => p.type === 'stale-summary')).toBe(true);
    const repair = await som(['verify', '--repair'], { cwd });
    expect(repair.code).toBe(0);
    expect(repair.stderr).toContain('3 problems, 3 repaired, 0 remaining');
    const after = await serve();
    try {
      expect(await qidoStudies(after.url)).toEqual(await storedStudies());
    } finally {
      await stop(after);
    }
  });
});
