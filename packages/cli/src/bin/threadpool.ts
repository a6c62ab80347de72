/**
 * More threads for libuv's pool than its default 4: the embedded default's durable writes
 * wait in fsync on pool threads, which would otherwise starve the file reads of the other
 * files in flight. Must run before the first asynchronous file operation; an explicit
 * `UV_THREADPOOL_SIZE` wins.
 */

/** Threads of libuv's pool unless `UV_THREADPOOL_SIZE` says otherwise. */
export const THREADPOOL_SIZE = 16;

process.env.UV_THREADPOOL_SIZE ??= String(THREADPOOL_SIZE);
