/**
 * A Cloud Storage server for tests: firebase-tools' Cloud Storage emulator (JavaScript) run
 * as a child Node process by `scripts/gcs-server.js`, on 127.0.0.1. It keeps objects in
 * memory and a temporary directory of its own: a restart starts empty.
 *
 * It lacks (answers 501 or ignores): bucket create/list/exists/delete, setMetadata,
 * copy/rewrite (501), PUT through a signed URL (501), preconditions such as
 * `ifGenerationMatch` (ignored), md5Hash given at upload (not checked), multi-chunk
 * resumable uploads with `chunkSize` (hang). Buckets are created on first upload.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitForHttp } from './ports';
import { spawnServer, whenReady, type ServerProcess } from './server-process';

/** The emulator's launcher script (beside `src/` and `dist/`). */
export const GCS_EMULATOR_SCRIPT = join(__dirname, '..', 'scripts', 'gcs-server.js');

/** Options of {@link startGcsEmulator}. */
export interface GcsEmulatorOptions {
  /** Port to listen on (default: a free port). */
  port?: number;
  /** How long to wait for it to answer (default 30,000 ms). */
  startTimeoutMs?: number;
}

/** A running Cloud Storage emulator. */
export interface GcsEmulator {
  /** `http://127.0.0.1:<port>`: the value for a client's `apiEndpoint`. */
  apiEndpoint: string;
  /** Its port. */
  port: number;
  /** Kill it, as a crash: connections drop at once and its objects are lost. */
  stop(): Promise<void>;
  /** Stop it if running and start it again, empty, on the same port. */
  restart(): Promise<void>;
}

/** One run of the emulator and the temporary directory it keeps blobs in. */
interface Run {
  server: ServerProcess;
  dir: string;
}

async function launch(port: number, timeoutMs: number): Promise<Run> {
  const name = `GCS emulator on 127.0.0.1:${port}`;
  const dir = mkdtempSync(join(tmpdir(), 'som-gcs-emulator-'));
  try {
    const server = spawnServer({
      name,
      command: process.execPath,
      args: [GCS_EMULATOR_SCRIPT],
      env: { GCS_HOST: '127.0.0.1', GCS_PORT: String(port), GCS_DIR: dir },
      deathSignal: 'SIGTERM', // lets it remove its directory when this process dies
    });
    await whenReady(server, name, waitForHttp(name, `http://127.0.0.1:${port}/`, timeoutMs));
    return { server, dir };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/** Start the Cloud Storage emulator; resolves once it answers. */
export async function startGcsEmulator(options: GcsEmulatorOptions = {}): Promise<GcsEmulator> {
  const port = options.port ?? (await freePort());
  const timeoutMs = options.startTimeoutMs ?? 30_000;
  let run: Run | undefined = await launch(port, timeoutMs);
  const stop = async (): Promise<void> => {
    const running = run;
    run = undefined;
    if (running === undefined) return;
    await running.server.stop(0);
    rmSync(running.dir, { recursive: true, force: true });
  };
  return {
    apiEndpoint: `http://127.0.0.1:${port}`,
    port,
    stop,
    async restart() {
      await stop();
      run = await launch(port, timeoutMs);
    },
  };
}
