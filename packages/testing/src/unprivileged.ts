/**
 * Permission tests need a process that file modes apply to. Root ignores them, so under
 * root (as on these machines) the work runs with the effective uid and gid of `nobody`,
 * restored afterwards; under any other user it runs as is.
 */

/** The uid and gid of `nobody` on Debian. */
const NOBODY = 65534;

/** True when file modes do not bind this process (it is root). */
export function runningAsRoot(): boolean {
  return process.getuid?.() === 0;
}

/** Run `work` as a user that file permissions apply to (see the module comment). */
export async function asUnprivileged<T>(work: () => Promise<T>): Promise<T> {
  if (!runningAsRoot()) return work();
  const { setegid, seteuid } = process as Required<Pick<NodeJS.Process, 'setegid' | 'seteuid'>>;
  setegid(NOBODY);
  seteuid(NOBODY);
  try {
    return await work();
  } finally {
    seteuid(0);
    setegid(0);
  }
}
