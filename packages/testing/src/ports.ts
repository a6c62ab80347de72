/**
 * Helpers to start real servers for tests: a free port on 127.0.0.1 and waiting for a
 * server to answer.
 */
import { createServer } from 'node:net';

/** A TCP port on 127.0.0.1 that is free right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

/**
 * Poll `url` until it answers any HTTP status (or `ok(status)` holds), for at most
 * `timeoutMs`; throws naming the server when it never does.
 */
export async function waitForHttp(
  name: string,
  url: string,
  timeoutMs = 60_000,
  ok: (status: number) => boolean = () => true,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await response.arrayBuffer();
      if (ok(response.status)) return;
      last = new Error(`status ${response.status}`);
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${name} did not answer at ${url} within ${timeoutMs} ms: ${String(last)}`);
}
