import { collect, splitAssignments } from './assignments';

describe('splitAssignments', () => {
  it('leaves a path after the assignments of --metadata a path', () => {
    expect(
      splitAssignments(['upload', '--metadata', 'Cohort=8', 'dir', '--collection', 'c']),
    ).toEqual(['upload', '--metadata', 'Cohort=8', 'dir', '--collection', 'c']);
  });

  it('gives each assignment after one flag a flag of its own', () => {
    expect(
      splitAssignments([
        'upload',
        'dir',
        '--metadata',
        'A=1',
        'B=x y',
        '--entity-metadata',
        'C=2',
        'D=',
        'e',
      ]),
    ).toEqual([
      'upload',
      'dir',
      '--metadata',
      'A=1',
      '--metadata',
      'B=x y',
      '--entity-metadata',
      'C=2',
      '--entity-metadata',
      'D=',
      'e',
    ]);
  });

  it('takes the first word whatever it is, and touches nothing after --', () => {
    expect(splitAssignments(['--metadata', 'not-one', 'A=1'])).toEqual([
      '--metadata',
      'not-one',
      '--metadata',
      'A=1',
    ]);
    expect(splitAssignments(['--metadata', 'A=1', '--', 'B=2'])).toEqual([
      '--metadata',
      'A=1',
      '--',
      'B=2',
    ]);
    expect(splitAssignments(['--metadata'])).toEqual(['--metadata']);
    expect(splitAssignments(['--metadata-store', 'A=1', 'B=2'])).toEqual([
      '--metadata-store',
      'A=1',
      'B=2',
    ]);
  });

  it('collects repeated values in order', () => {
    expect(collect('b', collect('a', undefined))).toEqual(['a', 'b']);
  });
});
