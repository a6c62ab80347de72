/**
 * The HTTP(S) transport the minio client sends requests with: keep-alive connections, and
 * a limit on how long a request (or the reading of its response) may make no progress.
 */
import http from 'node:http';
import https from 'node:https';
import { RequestTimeoutError } from './errors';

/** What the minio client calls to send a request (`http.request`'s shape). */
export interface Transport {
  request: typeof http.request;
}

/** A transport and the connection pool it uses (destroy the agent to close connections). */
export interface TimedTransport {
  transport: Transport;
  agent: http.Agent;
}

/**
 * A transport over `http` or `https` whose requests fail with {@link RequestTimeoutError}
 * (and destroy their connection) after `timeoutMs` without any bytes sent or received.
 */
export function timedTransport(useSSL: boolean, timeoutMs: number): TimedTransport {
  const protocol = useSSL ? https : http;
  const agent = new protocol.Agent({ keepAlive: true, maxSockets: 64 });
  const request = ((
    options: http.RequestOptions,
    callback?: (response: http.IncomingMessage) => void,
  ) => {
    const req = protocol.request({ ...options, agent, timeout: timeoutMs }, callback);
    req.on('timeout', () => req.destroy(new RequestTimeoutError(timeoutMs)));
    return req;
  }) as typeof http.request;
  return { transport: { request }, agent };
}
