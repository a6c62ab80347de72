#!/usr/bin/env node
/**
 * The `som` command: runs {@link main} with the process's arguments and exits with its code.
 */
import './threadpool';
import './heap';
import { main } from '../program';

let settled = false;

// Node exits when nothing is left to wait for, even if `main` never finished (an operation
// that neither completed nor failed): that must not look like success.
process.once('beforeExit', () => {
  if (settled) return;
  process.stderr.write(
    'som: error: internal error: the run stopped before finishing (an operation never completed)\n',
  );
  process.exitCode = 1;
});

main(process.argv.slice(2)).then(
  (code) => {
    settled = true;
    process.exitCode = code;
  },
  (err: unknown) => {
    settled = true;
    process.stderr.write(`som: error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
