/**
 * A server started as a child process for tests, that never outlives the test process:
 * on Linux it is started through `setpriv --pdeathsig` (the kernel signals it when its
 * parent dies, even by SIGKILL), every live one is killed when the test process exits,
 * and `stop()` kills its whole process group.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';

/** How a {@link spawnServer} child is started. */
export interface ServerCommand {
  /** Shown in errors, e.g. `Datastore emulator`. */
  name: string;
  /** The executable. */
  command: string;
  /** Its arguments. */
  args: readonly string[];
  /** Extra environment. */
  env?: NodeJS.ProcessEnv;
  /** Signal the kernel sends the child when the test process dies (default SIGKILL). */
  deathSignal?: 'SIGKILL' | 'SIGTERM';
}

/** A running child server. */
export interface ServerProcess {
  /** Its process id (also its process group id). */
  readonly pid: number;
  /** The last output lines (stdout and stderr), for error messages. */
  output(): string;
  /** Resolves with the exit code (or signal) once the process has exited. */
  readonly exited: Promise<string>;
  /**
   * SIGTERM the process group, SIGKILL after `graceMs` (at once when 0, as a crash);
   * resolves once it has exited.
   */
  stop(graceMs?: number): Promise<void>;
}

const SETPRIV = '/usr/bin/setpriv';
const OUTPUT_LIMIT = 8192;
const live = new Set<ChildProcess>();

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

process.on('exit', () => {
  for (const child of live) killGroup(child, 'SIGKILL');
});

/** Start `server` in its own process group, tied to the life of this process. */
export function spawnServer(server: ServerCommand): ServerProcess {
  const useSetpriv = process.platform === 'linux' && existsSync(SETPRIV);
  const [file, args] = useSetpriv
    ? [
        SETPRIV,
        [
          '--pdeathsig',
          (server.deathSignal ?? 'SIGKILL').slice(3),
          '--',
          server.command,
          ...server.args,
        ],
      ]
    : [server.command, [...server.args]];
  const child = spawn(file, args, {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...server.env },
  });
  if (child.pid === undefined) throw new Error(`${server.name}: could not start ${server.command}`);
  const pid = child.pid;
  live.add(child);
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-OUTPUT_LIMIT);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<string>((resolve) => {
    child.once('error', (err) => {
      live.delete(child);
      resolve(`failed to start: ${err.message}`);
    });
    child.once('exit', (code, signal) => {
      live.delete(child);
      resolve(signal ?? `exit code ${code}`);
    });
  });
  return {
    pid,
    output: () => output,
    exited,
    async stop(graceMs = 5000) {
      if (!live.has(child)) return;
      killGroup(child, graceMs === 0 ? 'SIGKILL' : 'SIGTERM');
      const timer = setTimeout(() => killGroup(child, 'SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * Wait for `ready`, failing early with the server's output when the process exits first;
 * the process is stopped when it never becomes ready.
 */
export async function whenReady(
  server: ServerProcess,
  name: string,
  ready: Promise<void>,
): Promise<void> {
  const died = server.exited.then((how) => {
    throw new Error(`${name} exited before it was ready (${how}):\n${server.output()}`);
  });
  try {
    await Promise.race([ready, died]);
  } catch (err) {
    await server.stop(1000);
    throw err;
  } finally {
    died.catch(() => undefined);
  }
}
