/**
 * Options that take `FIELD=VALUE` assignments (`--metadata`, `--entity-metadata`): each use
 * takes one, and the documented form with several after one flag (`--metadata A=1 B=2`)
 * keeps working. The command line is rewritten before it is parsed so that only the words
 * that are assignments follow the flag: a path after them stays a path.
 */

/** The options whose values are assignments. */
export const ASSIGNMENT_OPTIONS: readonly string[] = ['--metadata', '--entity-metadata'];

/** A word that is an assignment: a field name, then `=`. */
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;

/**
 * `argv` with every run of assignments after an assignment option split into one option per
 * assignment: `--metadata A=1 B=2 dir` becomes `--metadata A=1 --metadata B=2 dir`. The
 * first word after the option is its value whatever it is; nothing after `--` is touched.
 */
export function splitAssignments(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i] as string;
    if (word === '--') return [...out, ...argv.slice(i)];
    out.push(word);
    if (!ASSIGNMENT_OPTIONS.includes(word) || i + 1 >= argv.length) continue;
    out.push(argv[++i] as string);
    while (i + 1 < argv.length && ASSIGNMENT.test(argv[i + 1] as string))
      out.push(word, argv[++i] as string);
  }
  return out;
}

/** Commander's collector of a repeatable option: every value in order. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}
