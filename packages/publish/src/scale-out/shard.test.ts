import type { FileReport } from '../5-summarise/report';
import { mayPassOnRetry } from './shard';

describe('mayPassOnRetry', () => {
  const failed = (fields: Partial<FileReport>): FileReport => ({
    path: 'a.dcm',
    outcome: 'failed',
    reason: 'why',
    ...fields,
  });

  it('is true for a store or service down, slow or throttled, and a canceled call', () => {
    for (const code of [
      'Unavailable',
      'DeadlineExceeded',
      'ResourceExhausted',
      'Canceled',
    ] as const)
      expect(mayPassOnRetry(failed({ code }))).toBe(true);
  });

  it('is true for an internal error of the stores, not of the de-identification', () => {
    expect(mayPassOnRetry(failed({ code: 'Internal', entity: 'e1', image: '2.25.1' }))).toBe(true);
    expect(mayPassOnRetry(failed({ code: 'Internal' }))).toBe(false);
  });

  it('is false for a file refused by the de-identification, also when its thread stopped on it', () => {
    const stopped = failed({ code: 'Internal', entity: 'e1', refused: 'thread-stopped' });
    expect(mayPassOnRetry(stopped)).toBe(false);
    expect(mayPassOnRetry(failed({ code: 'InvalidArgument', refused: 'would-leak' }))).toBe(false);
  });

  it('is false for what fails the same way again, and for files not failed', () => {
    for (const code of [
      'InvalidArgument',
      'NotFound',
      'FailedPrecondition',
      'PermissionDenied',
    ] as const)
      expect(mayPassOnRetry(failed({ code, entity: 'e1' }))).toBe(false);
    expect(mayPassOnRetry(failed({}))).toBe(false);
    expect(mayPassOnRetry({ path: 'a.dcm', outcome: 'interrupted', code: 'Canceled' })).toBe(false);
    expect(mayPassOnRetry({ path: 'a.dcm', outcome: 'written', entity: 'e1' })).toBe(false);
  });
});
