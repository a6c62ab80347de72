/**
 * A de-identified file assembled in the memory of the file it came from. The de-identifier
 * returns the output as parts: new header bytes, then a slice of the input reaching to its
 * end (the pixel data, never copied). Reading the input with some room in front of it lets
 * the header parts be copied to just before that slice, so the whole output is one view of
 * the input's memory: no second buffer the size of the file, and one ArrayBuffer to hand to
 * another thread.
 */
import { open } from 'node:fs/promises';

/** Room left in front of a file read by {@link readWithHeadroom}: headers grow by less. */
export const HEADROOM = 64 * 1024;

/**
 * The bytes of the file at `path` in a buffer of their own with `headroom` free bytes in
 * front of them: the result starts `headroom` bytes into its ArrayBuffer and ends at its end.
 */
export async function readWithHeadroom(path: string, headroom = HEADROOM): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const memory = Buffer.allocUnsafeSlow(headroom + size);
    let read = 0;
    while (read < size) {
      const { bytesRead } = await handle.read(memory, headroom + read, size - read, read);
      if (bytesRead === 0) break; // the file shrank: what was there is what it holds
      read += bytesRead;
    }
    return memory.subarray(headroom, headroom + read);
  } finally {
    await handle.close();
  }
}

/** Where the parts at the end of `parts` that are consecutive slices of `input`'s tail begin. */
function tailStart(parts: readonly Buffer[], input: Buffer): { index: number; offset: number } {
  let index = parts.length;
  let end = input.byteOffset + input.length;
  for (let i = parts.length - 1; i >= 0; i--) {
    const part = parts[i] as Buffer;
    if (part.buffer !== input.buffer || part.byteOffset + part.length !== end) break;
    index = i;
    end = part.byteOffset;
  }
  return { index, offset: end };
}

/**
 * The file `parts` make, as one buffer. When they end with a slice of `input` reaching its
 * end and the parts before it fit in the memory in front of that slice (the `headroom`
 * bytes in front of `input`, which must be free, and the input's own bytes there), those
 * parts are copied in front of it and the result shares `input`'s memory, whose earlier
 * bytes are then overwritten: nothing may read `input` or the other parts afterwards.
 * Otherwise the parts are concatenated into a new buffer.
 */
export function assembleInPlace(
  parts: readonly Buffer[],
  input: Buffer,
  headroom = HEADROOM,
): Buffer {
  const tail = tailStart(parts, input);
  const head = parts.slice(0, tail.index);
  const headLength = head.reduce((n, part) => n + part.length, 0);
  const start = tail.offset - headLength;
  const first = input.byteOffset - headroom;
  if (tail.index === parts.length || first < 0 || start < first) return Buffer.concat(parts);
  const memory = Buffer.from(input.buffer, 0, input.byteOffset + input.length);
  // The head parts may be slices of the very bytes about to be overwritten: copy them first.
  Buffer.concat(head, headLength).copy(memory, start);
  return memory.subarray(start);
}
