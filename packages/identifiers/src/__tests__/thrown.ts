/** Test helper: the SomError a call throws. */
import { SomError } from '@som/core';

/** The SomError `fn` throws; fails the test when it throws nothing or something else. */
export function thrown(fn: () => unknown): SomError {
  try {
    fn();
  } catch (err) {
    if (err instanceof SomError) return err;
    throw err;
  }
  throw new Error('expected a SomError');
}
