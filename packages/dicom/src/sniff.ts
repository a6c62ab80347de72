/**
 * Recognising DICOM by content, not by file name.
 */
import { open } from 'node:fs/promises';
import { isKnownVr } from './vr';

/** How many leading bytes {@link isDicom} needs to decide. */
export const SNIFF_BYTES = 132;

/** The largest value length believed for the first element of a file without preamble. */
const MAX_FIRST_LENGTH = 4096;

/**
 * True when `head` (the first {@link SNIFF_BYTES} bytes of a file, or all of a shorter file)
 * looks like DICOM: `DICM` at offset 128, or, for files without preamble, a plausible first
 * element of group 0002 or 0008 in explicit VR (either byte order) or implicit VR.
 */
export function isDicom(head: Buffer): boolean {
  if (head.length >= 132 && head.toString('latin1', 128, 132) === 'DICM') return true;
  if (head.length < 8) return false;
  const explicit = isKnownVr(head.toString('latin1', 4, 6));
  for (const littleEndian of [true, false]) {
    const group = littleEndian ? head.readUInt16LE(0) : head.readUInt16BE(0);
    const element = littleEndian ? head.readUInt16LE(2) : head.readUInt16BE(2);
    if ((group !== 0x0002 && group !== 0x0008) || element > 0x00ff) continue;
    if (explicit) return true;
    if (littleEndian && head.readUInt32LE(4) <= MAX_FIRST_LENGTH) return true;
  }
  return false;
}

/** Read only the first bytes of the file at `path` and apply {@link isDicom}. */
export async function sniffDicomFile(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(SNIFF_BYTES);
    const { bytesRead } = await handle.read(head, 0, SNIFF_BYTES, 0);
    return isDicom(head.subarray(0, bytesRead));
  } finally {
    await handle.close();
  }
}
