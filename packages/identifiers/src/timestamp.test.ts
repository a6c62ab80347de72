import { isSomError } from '@som/core';
import { shiftTimestamp } from './timestamp';

describe('shiftTimestamp', () => {
  it.each([
    ['2010-02-04T11:50:00Z', 5, '2010-02-09T11:50:00Z'],
    ['2010-02-04T11:50:00-0800', 5, '2010-02-09T11:50:00-0800'],
    ['1961-07-27', -365, '1960-07-27'], // 1961 back over Feb 29 1960
    ['2024-03-01', -1, '2024-02-29'],
    ['2023-03-01', -1, '2023-02-28'],
    ['2000-12-31T23:59:59.123+01:00', 1, '2001-01-01T23:59:59.123+01:00'],
    ['20100204', -10, '20100125'],
    ['20100204115000.000000+0100', 30, '20100306115000.000000+0100'],
    ['0001-01-10', -9, '0001-01-01'],
  ])('%s shifted by %d days is %s', (input, days, expected) => {
    expect(shiftTimestamp(input, days)).toBe(expected);
  });

  it.each([
    ['not a date'],
    ['2010-13-01'],
    ['2010-02-30'],
    ['2010-02-04Tnoon'],
    ['2010-0204'],
    [''],
  ])('rejects %j without printing it', (input) => {
    let error: unknown;
    try {
      shiftTimestamp(input, 1);
    } catch (err) {
      error = err;
    }
    expect(isSomError(error, 'InvalidArgument')).toBe(true);
    if (input.trim() !== '') expect((error as Error).message).not.toContain(input.trim());
  });

  it('rejects a shift out of the years 0001-9999 and a fractional shift', () => {
    expect(() => shiftTimestamp('0001-01-01', -1)).toThrow(
      /^the timestamp shifted by -1 days leaves the years 0001-9999$/,
    );
    expect(() => shiftTimestamp('2000-01-01', 1.5)).toThrow('not a whole number of days');
  });
});
