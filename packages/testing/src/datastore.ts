/**
 * The official Cloud Datastore emulator (Java, from the Google Cloud CLI), in memory, on
 * 127.0.0.1. Needs `java` (Debian: openjdk-17-jre-headless) and the emulator's jar.
 */
import { existsSync } from 'node:fs';
import { freePort, waitForHttp } from './ports';
import { spawnServer, whenReady, type ServerProcess } from './server-process';

/** Where the Google Cloud CLI installs the emulator (override with `DATASTORE_EMULATOR_JAR`). */
export const DATASTORE_EMULATOR_JAR =
  '/usr/lib/google-cloud-sdk/platform/cloud-datastore-emulator/CloudDatastore.jar';

/** Options of {@link startDatastoreEmulator}. */
export interface DatastoreEmulatorOptions {
  /** Port to listen on (default: a free port). */
  port?: number;
  /** Project id clients should use (default `demo-test`). */
  projectId?: string;
  /** How long to wait for it to answer (default 60,000 ms). */
  startTimeoutMs?: number;
}

/** A running Datastore emulator. */
export interface DatastoreEmulator {
  /** `127.0.0.1:<port>`: the value for `DATASTORE_EMULATOR_HOST`. */
  host: string;
  /** Its port. */
  port: number;
  /** `http://127.0.0.1:<port>`: the value for a client's `apiEndpoint`. */
  apiEndpoint: string;
  /** The project id to use with it. */
  projectId: string;
  /** Remove every entity. */
  reset(): Promise<void>;
  /** Stop it (its data is lost). */
  stop(): Promise<void>;
  /** Stop it if running and start it again, empty, on the same port. */
  restart(): Promise<void>;
}

function jarPath(): string {
  const jar = process.env.DATASTORE_EMULATOR_JAR ?? DATASTORE_EMULATOR_JAR;
  if (!existsSync(jar)) {
    throw new Error(
      `Datastore emulator jar not found at ${jar}: install the Google Cloud CLI's cloud-datastore-emulator or set DATASTORE_EMULATOR_JAR`,
    );
  }
  return jar;
}

async function launch(port: number, timeoutMs: number): Promise<ServerProcess> {
  const name = `Datastore emulator on 127.0.0.1:${port}`;
  const server = spawnServer({
    name,
    command: 'java',
    args: [
      '-XX:TieredStopAtLevel=1',
      '-cp',
      jarPath(),
      'com.google.cloud.datastore.emulator.CloudDatastore',
      'start',
      '--host=127.0.0.1',
      `--port=${port}`,
      '--testing',
    ],
  });
  await whenReady(
    server,
    name,
    waitForHttp(name, `http://127.0.0.1:${port}/`, timeoutMs, (status) => status === 200),
  );
  return server;
}

/** Start the Datastore emulator; resolves once it answers. */
export async function startDatastoreEmulator(
  options: DatastoreEmulatorOptions = {},
): Promise<DatastoreEmulator> {
  const port = options.port ?? (await freePort());
  const timeoutMs = options.startTimeoutMs ?? 60_000;
  const base = `http://127.0.0.1:${port}`;
  let server: ServerProcess | undefined = await launch(port, timeoutMs);
  const stop = async (): Promise<void> => {
    const running = server;
    server = undefined;
    if (running === undefined) return;
    await fetch(`${base}/shutdown`, { method: 'POST', signal: AbortSignal.timeout(2000) }).catch(
      () => undefined,
    );
    await running.stop(2000);
  };
  return {
    host: `127.0.0.1:${port}`,
    port,
    apiEndpoint: base,
    projectId: options.projectId ?? 'demo-test',
    async reset() {
      const response = await fetch(`${base}/reset`, {
        method: 'POST',
        signal: AbortSignal.timeout(10_000),
      });
      await response.arrayBuffer();
      if (!response.ok)
        throw new Error(`Datastore emulator reset failed: status ${response.status}`);
    },
    stop,
    async restart() {
      await stop();
      server = await launch(port, timeoutMs);
    },
  };
}
