/** Expecting a SomError (the portable error every store and client throws). */
import { SomError, type ErrorCode } from '@som/core';

/** The SomError `promise` rejects with (the test fails when it resolves or rejects otherwise). */
export async function somErrorOf(promise: Promise<unknown>): Promise<SomError> {
  const error = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(SomError);
  return error as SomError;
}

/** Expect `promise` to reject with a SomError of `code`. */
export async function expectSomError(promise: Promise<unknown>, code: ErrorCode): Promise<void> {
  const error = await somErrorOf(promise);
  expect({ code: error.code, message: error.message }).toMatchObject({ code });
}
