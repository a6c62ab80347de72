/** Counts in words that agree with them: `1 file`, `2 files`. */

/** `n` followed by `one` when it is 1, else by `many`. */
export function counted(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}
