/**
 * Full garbage collections as file bytes are let go. V8 frees a buffer's memory only when
 * it next collects, and it collects by the growth of its heap, not by the size of the
 * buffers let go: a run of large files (multi-frame images of tens of MB) held several of
 * them as garbage at once, about 100 MB more at the peak for 33 MB files.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** A full collection follows every this many bytes of files let go. */
export const COLLECT_EVERY_BYTES = 32 * 1024 * 1024;

let collect: (() => void) | undefined;

/** Run a full garbage collection now (V8's `gc`, exposed to a context of its own). */
function collectGarbage(): void {
  if (collect === undefined) {
    setFlagsFromString('--expose-gc');
    collect = runInNewContext('gc') as () => void;
  }
  collect();
}

/** Counts the bytes of files let go and collects garbage after every `every` of them. */
export class GarbageCollector {
  #sinceLast = 0;

  /** @param every bytes let go between two collections. */
  constructor(private readonly every = COLLECT_EVERY_BYTES) {}

  /** `bytes` are no longer referenced by the caller: collect when enough have been let go. */
  letGo(bytes: number): void {
    this.#sinceLast += bytes;
    if (this.#sinceLast < this.every) return;
    this.#sinceLast = 0;
    collectGarbage();
  }
}
