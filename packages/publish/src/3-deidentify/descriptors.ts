/**
 * File calls on plain descriptors, as promises: reading a source or writing an output of a
 * few hundred KB takes a few calls, and a `FileHandle` per file cost more than they did.
 */
import { close, fstat, open, read, writev } from 'node:fs';
import { promisify } from 'node:util';

/** Open a file (`fs.open`), resolving to its descriptor. */
export const openFd = promisify(open);
/** The status of an open descriptor (`fs.fstat`). */
export const fstatFd = promisify(fstat);
/** Read from a descriptor at a position (`fs.read`). */
export const readFd = promisify(read);
/** Write buffers at a descriptor's position (`fs.writev`). */
export const writevFd = promisify(writev);
/** Close a descriptor (`fs.close`). */
export const closeFd = promisify(close);
