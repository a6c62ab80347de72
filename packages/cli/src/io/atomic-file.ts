/**
 * Writing output files atomically: bytes go to a temporary file beside the target, are
 * checked, then renamed into place. A failed or refused write leaves nothing behind.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** Size and MD5 (lowercase hex) of written bytes. */
export interface WrittenFile {
  size: number;
  md5: string;
}

/** A temporary name beside `path`, hidden and unique. */
export function temporaryPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.som-${randomBytes(6).toString('hex')}.tmp`);
}

/**
 * Write `source` to `path` atomically, creating parent directories. `check` sees the size and
 * MD5 before the rename; when it throws, the temporary file is removed and nothing is written.
 */
export async function writeFileAtomically(
  path: string,
  source: Buffer | Readable,
  check: (written: WrittenFile) => void = () => undefined,
): Promise<WrittenFile> {
  await mkdir(dirname(path), { recursive: true });
  const temp = temporaryPathFor(path);
  const hash = createHash('md5');
  let size = 0;
  const measure = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      size += chunk.length;
      callback(null, chunk);
    },
  });
  try {
    await pipeline(
      Buffer.isBuffer(source) ? Readable.from([source]) : source,
      measure,
      createWriteStream(temp, { flags: 'wx' }),
    );
    const written = { size, md5: hash.digest('hex') };
    check(written);
    await rename(temp, path);
    return written;
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw err;
  }
}

/** MD5 (lowercase hex) of the file at `path`, or undefined when it does not exist. */
export async function md5OfFile(path: string): Promise<string | undefined> {
  const hash = createHash('md5');
  try {
    for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return hash.digest('hex');
}
