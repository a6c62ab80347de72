/**
 * A real S3 server for the MinIO/S3 adapter's tests: OpenStack Swift (Debian's packages
 * `swift swift-proxy swift-object swift-container swift-account memcached`) with tempauth
 * + s3api, single node, bound to 127.0.0.1, its config, rings and data in a temporary
 * directory. Config templates and the ring script are in `packages/testing/swift/`.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, waitForHttp } from './ports';
import { spawnServer, whenReady, type ServerProcess } from './server-process';

/** Where the config templates and the ring script are (beside `src/` and `dist/`). */
const SWIFT_FILES = join(__dirname, '..', 'swift');

/** Debian's Python, which has the `swift` modules (a pyenv `python3` first on PATH may not). */
const PYTHON = '/usr/bin/python3';

/** The tempauth user of the test server (see `swift/proxy-server.conf`) and its key. */
const ACCESS_KEY = 'test:tester';
const SECRET_KEY = 'testing';
const REGION = 'us-east-1';

/** The servers of one Swift: memcached, three backends and the proxy. */
const SERVERS = ['memcached', 'account', 'container', 'object', 'proxy'] as const;
type ServerName = (typeof SERVERS)[number];
type Ports = Record<ServerName, number>;

/** Options of {@link startSwiftS3}. */
export interface SwiftS3Options {
  /** Port of the S3 endpoint (default: a free port). */
  port?: number;
  /** How long to wait for the servers to answer, per attempt (default 20,000 ms). */
  startTimeoutMs?: number;
}

/** A running Swift with s3api. */
export interface SwiftS3Server {
  /** `http://127.0.0.1:<port>`. */
  endpoint: string;
  /** Always `127.0.0.1`. */
  host: string;
  /** Port of the S3 endpoint. */
  port: number;
  /** The tempauth user, `test:tester`. */
  accessKey: string;
  /** Its key, `testing` (a throwaway credential of this test server). */
  secretKey: string;
  /** The s3api location, `us-east-1`. */
  region: string;
  /** The temporary directory of its config, rings and data (every server's command line names it). */
  dir: string;
  /**
   * Kill the S3 endpoint (the proxy) at once, as in a crash, then the storage servers once
   * their in-flight writes have settled (so listings stay consistent with objects); the
   * data is kept for {@link restart}.
   */
  halt(): Promise<void>;
  /** Stop (if running) and start every server again on the same ports with the same data. */
  restart(): Promise<void>;
  /** Stop every server and remove its data. */
  stop(): Promise<void>;
}

/** Fill the `${NAME}` placeholders of a template from `values`. */
function fill(template: string, values: Record<string, string | number>): string {
  return template.replace(/\$\{([A-Z_]+)\}/g, (whole, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`swift config template: no value for ${whole}`);
    return String(value);
  });
}

function writeConfig(
  dir: string,
  file: string,
  templateName: string,
  values: Record<string, string | number>,
): void {
  writeFileSync(
    join(dir, 'etc', file),
    fill(readFileSync(join(SWIFT_FILES, templateName), 'utf8'), values),
  );
}

/** Distinct free ports for every server (the proxy's may be fixed by the caller). */
async function allocatePorts(proxy: number | undefined): Promise<Ports> {
  const taken = new Set<number>(proxy === undefined ? [] : [proxy]);
  const next = async (): Promise<number> => {
    for (;;) {
      const port = await freePort();
      if (!taken.has(port)) {
        taken.add(port);
        return port;
      }
    }
  };
  return {
    proxy: proxy ?? (await next()),
    account: await next(),
    container: await next(),
    object: await next(),
    memcached: await next(),
  };
}

/** Write the configs and rings of a Swift on `ports` under `dir`. */
async function configure(dir: string, ports: Ports): Promise<void> {
  for (const sub of ['etc', 'srv/d1']) mkdirSync(join(dir, sub), { recursive: true });
  writeConfig(dir, 'swift.conf', 'swift.conf', {});
  for (const name of ['account', 'container', 'object'] as const) {
    writeConfig(dir, `${name}-server.conf`, 'backend-server.conf', {
      DIR: dir,
      PORT: ports[name],
      NAME: name,
    });
  }
  writeConfig(dir, 'proxy-server.conf', 'proxy-server.conf', {
    DIR: dir,
    PORT: ports.proxy,
    REGION,
    MEMCACHED_PORT: ports.memcached,
  });
  const rings = [
    join(SWIFT_FILES, 'make-rings.py'),
    join(dir, 'etc'),
    ports.account,
    ports.container,
    ports.object,
  ];
  await promisify(execFile)(PYTHON, rings.map(String));
}

/** Resolve once a TCP connection to 127.0.0.1:`port` succeeds (polling every 50 ms). */
async function waitForTcp(name: string, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => socket.end(() => resolve(true)));
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline)
      throw new Error(`${name} did not listen on 127.0.0.1:${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Start one server of the Swift in `dir`; resolves once it answers. */
async function launch(
  name: ServerName,
  dir: string,
  ports: Ports,
  timeoutMs: number,
): Promise<ServerProcess> {
  const label = `swift ${name} on 127.0.0.1:${ports[name]}`;
  if (name === 'memcached') {
    const user = process.getuid?.() === 0 ? ['-u', userInfo().username] : [];
    const args = [
      '-l',
      '127.0.0.1',
      '-p',
      String(ports.memcached),
      '-U',
      '0',
      '-t',
      '1',
      '-m',
      '64',
      ...user,
    ];
    const server = spawnServer({ name: label, command: 'memcached', args });
    await whenReady(server, label, waitForTcp(label, ports.memcached, timeoutMs));
    return server;
  }
  const server = spawnServer({
    name: label,
    command: `swift-${name}-server`,
    args: [join(dir, 'etc', `${name}-server.conf`)],
  });
  const url = `http://127.0.0.1:${ports[name]}/${name === 'proxy' ? 'healthcheck' : ''}`;
  await whenReady(
    server,
    label,
    waitForHttp(label, url, timeoutMs, (status) => name !== 'proxy' || status === 200),
  );
  return server;
}

/** How long storage servers get to finish the writes in flight when the proxy dies. */
const SETTLE_MS = 300;

/** The processes of one running Swift: the proxy, and the storage servers behind it. */
interface Running {
  proxy: ServerProcess;
  storage: ServerProcess[];
}

/** Start every server; when one fails, stop the others and throw its error. */
async function launchAll(dir: string, ports: Ports, timeoutMs: number): Promise<Running> {
  const started = await Promise.allSettled(
    SERVERS.map((name) => launch(name, dir, ports, timeoutMs)),
  );
  const servers = started.flatMap((result) =>
    result.status === 'fulfilled' ? [result.value] : [],
  );
  const failure = started.find((result) => result.status === 'rejected');
  if (failure !== undefined) {
    await Promise.all(servers.map((server) => server.stop(500)));
    throw failure.reason;
  }
  return { proxy: servers[servers.length - 1] as ServerProcess, storage: servers.slice(0, -1) };
}

/** Kill the proxy, then (after {@link SETTLE_MS}) the storage servers. */
async function killAll(running: Running): Promise<void> {
  await running.proxy.stop(0);
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  await Promise.all(running.storage.map((server) => server.stop(0)));
}

const DIR_PREFIX = 'som-swift-';

/** True while a process with this pid exists. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Remove the directories of test servers whose starting process died without stop(). */
function removeStaleDirs(): void {
  for (const name of readdirSync(tmpdir()).filter((n) => n.startsWith(DIR_PREFIX))) {
    const dir = join(tmpdir(), name);
    let owner: number;
    try {
      owner = Number(readFileSync(join(dir, 'owner'), 'utf8'));
    } catch {
      continue; // being created, or not ours
    }
    if (Number.isSafeInteger(owner) && owner > 0 && !alive(owner))
      rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Start a single-node Swift with s3api on 127.0.0.1, with free ports for its four servers
 * and its own memcached; retries with fresh ports when one is taken meanwhile. Ready in
 * about 3 s. The servers die with the process that started them (see `spawnServer`); the
 * directory of one whose process died is removed by the next start.
 */
export async function startSwiftS3(options: SwiftS3Options = {}): Promise<SwiftS3Server> {
  const timeoutMs = options.startTimeoutMs ?? 20_000;
  removeStaleDirs();
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const dir = mkdtempSync(join(tmpdir(), DIR_PREFIX));
    const removeDir = (): void => rmSync(dir, { recursive: true, force: true });
    try {
      writeFileSync(join(dir, 'owner'), String(process.pid));
      const ports = await allocatePorts(options.port);
      await configure(dir, ports);
      let running: Running | undefined = await launchAll(dir, ports, timeoutMs);
      process.once('exit', removeDir);
      const halt = async (): Promise<void> => {
        const stopping = running;
        running = undefined;
        if (stopping !== undefined) await killAll(stopping);
      };
      return {
        endpoint: `http://127.0.0.1:${ports.proxy}`,
        host: '127.0.0.1',
        port: ports.proxy,
        accessKey: ACCESS_KEY,
        secretKey: SECRET_KEY,
        region: REGION,
        dir,
        halt,
        async restart() {
          await halt();
          running = await launchAll(dir, ports, timeoutMs);
        },
        async stop() {
          await halt();
          process.off('exit', removeDir);
          removeDir();
        },
      };
    } catch (err) {
      lastError = err;
      removeDir();
    }
  }
  throw new Error(`Swift with s3api did not start in 3 attempts: ${String(lastError)}`);
}
