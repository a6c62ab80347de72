#!/usr/bin/env node
/**
 * The `som` command: runs {@link main} with the process's arguments and exits with its code.
 */
import { main } from '../program';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`som: error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
