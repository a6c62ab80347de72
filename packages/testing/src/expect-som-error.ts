/** Expecting a SomError of a given code (the portable error every store and client throws). */
import { SomError, type ErrorCode } from '@som/core';

/** Expect `promise` to reject with a SomError of `code`. */
export async function expectSomError(promise: Promise<unknown>, code: ErrorCode): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(SomError);
  expect({ code: (error as SomError).code, message: (error as SomError).message }).toMatchObject({
    code,
  });
}
