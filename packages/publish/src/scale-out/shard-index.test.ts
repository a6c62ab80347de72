import { somErrorOf } from '@som/testing';
import { ENGINES, resolveShard } from './shard-index';

/** The SomError resolving the shard throws. */
const thrown = (...args: Parameters<typeof resolveShard>) =>
  somErrorOf(Promise.resolve().then(() => resolveShard(...args)));

describe('resolveShard', () => {
  it('reads each engine index variable, with its count when the engine sets one', () => {
    const cases: [NodeJS.ProcessEnv, number, string][] = [
      [{ CLOUD_RUN_TASK_INDEX: '3', CLOUD_RUN_TASK_COUNT: '8' }, 3, 'CLOUD_RUN_TASK_INDEX'],
      [{ JOB_COMPLETION_INDEX: '7' }, 7, 'JOB_COMPLETION_INDEX'],
      [{ BATCH_TASK_INDEX: '0', BATCH_TASK_COUNT: '8' }, 0, 'BATCH_TASK_INDEX'],
      [{ AWS_BATCH_JOB_ARRAY_INDEX: '5' }, 5, 'AWS_BATCH_JOB_ARRAY_INDEX'],
      [{ SLURM_ARRAY_TASK_ID: '6', SLURM_ARRAY_TASK_COUNT: '8' }, 6, 'SLURM_ARRAY_TASK_ID'],
    ];
    for (const [env, index, source] of cases)
      expect(resolveShard(undefined, env, 8)).toEqual({ index, source });
  });

  it('knows the variables each engine documents', () => {
    expect(ENGINES.map((e) => [e.index, e.count])).toEqual([
      ['CLOUD_RUN_TASK_INDEX', 'CLOUD_RUN_TASK_COUNT'],
      ['JOB_COMPLETION_INDEX', undefined],
      ['BATCH_TASK_INDEX', 'BATCH_TASK_COUNT'],
      ['AWS_BATCH_JOB_ARRAY_INDEX', undefined],
      ['SLURM_ARRAY_TASK_ID', 'SLURM_ARRAY_TASK_COUNT'],
    ]);
  });

  it('takes --shard over any engine variable, and the first engine variable set in order', () => {
    const env = {
      SLURM_ARRAY_TASK_ID: '1',
      JOB_COMPLETION_INDEX: '2',
      SLURM_ARRAY_TASK_COUNT: '9',
    };
    expect(resolveShard('4', env, 8)).toEqual({ index: 4, source: '--shard' });
    expect(resolveShard(undefined, env, 8)).toEqual({ index: 2, source: 'JOB_COMPLETION_INDEX' });
  });

  it('ignores empty variables', () => {
    expect(
      resolveShard(undefined, { CLOUD_RUN_TASK_INDEX: ' ', BATCH_TASK_INDEX: '1' }, 2),
    ).toEqual({
      index: 1,
      source: 'BATCH_TASK_INDEX',
    });
  });

  it('refuses an engine count other than the number of shards', async () => {
    for (const env of [
      { CLOUD_RUN_TASK_INDEX: '0', CLOUD_RUN_TASK_COUNT: '4' },
      { BATCH_TASK_INDEX: '0', BATCH_TASK_COUNT: '16' },
      { SLURM_ARRAY_TASK_ID: '0', SLURM_ARRAY_TASK_COUNT: 'eight' },
    ]) {
      const err = await thrown(undefined, env, 8);
      expect(err.code).toBe('InvalidArgument');
      expect(err.message).toMatch(/the plan has 8 shards/);
    }
  });

  it('refuses an index out of range or not a whole number, naming where it came from', async () => {
    const cases: [string | undefined, NodeJS.ProcessEnv, RegExp][] = [
      ['8', {}, /^--shard must be a shard index from 0 to 7 .*not "8"/],
      ['-1', {}, /^--shard must/],
      ['1.5', {}, /^--shard must/],
      ['', {}, /^--shard must/],
      [undefined, { SLURM_ARRAY_TASK_ID: '8' }, /^SLURM_ARRAY_TASK_ID must .* from 0 to 7/],
      [undefined, { AWS_BATCH_JOB_ARRAY_INDEX: '0x1' }, /^AWS_BATCH_JOB_ARRAY_INDEX must/],
    ];
    for (const [flag, env, message] of cases) {
      const err = await thrown(flag, env, 8);
      expect(err.code).toBe('InvalidArgument');
      expect(err.message).toMatch(message);
    }
  });

  it('asks for --shard when no engine variable is set', async () => {
    expect((await thrown(undefined, { PATH: '/bin' }, 8)).message).toMatch(
      /^no shard index: give --shard <i>, or run under an engine that sets one of CLOUD_RUN_TASK_INDEX, /,
    );
  });
});
