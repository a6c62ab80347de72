import { SomError } from '@som/core';
import { withRetries } from './retry';

/** A request failing with `errors` in turn, then answering `done`; counts its calls. */
function flaky(errors: unknown[]): { request: () => Promise<string>; calls: () => number } {
  let calls = 0;
  return {
    request: async () => {
      const error = errors[calls++];
      if (error !== undefined) throw error;
      return 'done';
    },
    calls: () => calls,
  };
}

const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
const slowDown = Object.assign(new Error('slow down'), { code: 'SlowDown' });

describe('withRetries', () => {
  it('retries transient failures (connection refused, SlowDown) up to maxRetries', async () => {
    const twice = flaky([refused, slowDown]);
    await expect(withRetries(2, twice.request)).resolves.toBe('done');
    expect(twice.calls()).toBe(3);
    const thrice = flaky([refused, refused, refused]);
    await expect(withRetries(2, thrice.request)).rejects.toBe(refused);
    expect(thrice.calls()).toBe(3);
  });

  it('never retries other failures, nor with maxRetries 0', async () => {
    const denied = flaky([new SomError('PermissionDenied', 'no')]);
    await expect(withRetries(5, denied.request)).rejects.toMatchObject({
      code: 'PermissionDenied',
    });
    expect(denied.calls()).toBe(1);
    const once = flaky([refused]);
    await expect(withRetries(0, once.request)).rejects.toBe(refused);
    expect(once.calls()).toBe(1);
  });
});
