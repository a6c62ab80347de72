/**
 * MD5 of bytes, a stream or a file, lowercase hex: the one way every package computes the
 * MD5 that objects are stored and compared with.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/** MD5 of `bytes`, lowercase hex. */
export function md5Hex(bytes: Uint8Array | string): string {
  return createHash('md5').update(bytes).digest('hex');
}

/** MD5 of every byte of `stream`, lowercase hex (the stream is read to its end). */
export async function md5OfStream(stream: AsyncIterable<Uint8Array | string>): Promise<string> {
  const hash = createHash('md5');
  for await (const chunk of stream) hash.update(chunk);
  return hash.digest('hex');
}

/**
 * MD5 of the file at `path`, lowercase hex, or undefined when it does not exist.
 * @throws the file system's error when it exists but cannot be read.
 */
export async function md5OfFile(path: string): Promise<string | undefined> {
  try {
    return await md5OfStream(createReadStream(path));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
