import fc from 'fast-check';
import { dateVrOf, isTimeText, isoToDicom, shiftDate, shiftDateTime, shiftValues } from '../dates';

describe('date shifting', () => {
  it('shifts full dates across month, year and leap days', () => {
    expect(shiftDate('20200301', -1)).toBe('20200229');
    expect(shiftDate('20191231', 1)).toBe('20200101');
    expect(shiftDate('20000101', -365)).toBe('19990101');
    expect(shiftDate('20000301', -366)).toBe('19990301');
    expect(shiftDate('20210315', 0)).toBe('20210315');
  });

  it('shifts partial dates at the middle of their period and keeps their precision', () => {
    expect(shiftDate('202003', 10)).toBe('202003');
    expect(shiftDate('202003', 20)).toBe('202004');
    expect(shiftDate('202003', -20)).toBe('202002');
    expect(shiftDate('2020', 100)).toBe('2020');
    expect(shiftDate('2020', 200)).toBe('2021');
    expect(shiftDate('2020', -200)).toBe('2019');
  });

  it('accepts the ACR-NEMA form and refuses dates that do not exist', () => {
    expect(shiftDate('2020.03.01', -1)).toBe('20200229');
    expect(shiftDate('20200230', 1)).toBeUndefined();
    expect(shiftDate('20201301', 1)).toBeUndefined();
    expect(shiftDate('2020010', 1)).toBeUndefined();
    expect(shiftDate('yesterday', 1)).toBeUndefined();
  });

  it('shifts date-times keeping time, fraction and UTC offset', () => {
    expect(shiftDateTime('20200301123456.123456+0100', -1)).toBe('20200229123456.123456+0100');
    expect(shiftDateTime('20200301123456', 2)).toBe('20200303123456');
    expect(shiftDateTime('2020030112', 2)).toBe('2020030312');
    expect(shiftDateTime('20200301-0500', 2)).toBe('20200303-0500');
    expect(shiftDateTime('202003', 20)).toBe('202004');
    expect(shiftDateTime('2020', 1)).toBe('2020');
    expect(shiftDateTime('2020030112345', 1)).toBeUndefined();
  });

  it('shifts every value of a multi-valued text and keeps empty values', () => {
    expect(shiftValues('20200101\\20200102', 'DA', 1)).toBe('20200102\\20200103');
    expect(shiftValues('', 'DA', 5)).toBe('');
    expect(shiftValues('20200101\\\\20200103', 'DA', -1)).toBe('20191231\\\\20200102');
    expect(shiftValues('20200101\\bad', 'DA', 1)).toBeUndefined();
    expect(shiftValues('20200101000000\\20200101', 'DT', 1)).toBe('20200102000000\\20200102');
  });

  it('tells dates and date-times in text of other VRs', () => {
    expect(dateVrOf('20200101')).toBe('DA');
    expect(dateVrOf('20200101123000.5')).toBe('DT');
    expect(dateVrOf('abc')).toBeUndefined();
    expect(dateVrOf('')).toBeUndefined();
  });

  it('tells valid times', () => {
    expect(isTimeText('101010.123456\\07\\0730\\')).toBe(true);
    expect(isTimeText('10:10:10')).toBe(true);
    expect(isTimeText('251010')).toBe(false);
    expect(isTimeText('Doe')).toBe(false);
  });

  it('tells valid times as PS3.5 has them: HH[MM[SS[.F{1,6}]]] in range, or HH:MM[:SS[.F{1,6}]]', () => {
    const form = /^(\d{2})((\d{2})((\d{2})(\.\d{1,6})?)?)?$|^\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?$/;
    const valid = (value: string): boolean => {
      const m = form.exec(value);
      if (!m) return false;
      const [, hh, , mm, , ss] = m;
      return hh === undefined || (+hh < 24 && +(mm ?? 0) < 60 && +(ss ?? 0) < 61);
    };
    const digits = (n: number): fc.Arbitrary<string> =>
      fc
        .array(fc.constantFrom(...'0123456789'.split('')), { minLength: n, maxLength: n })
        .map((a) => a.join(''));
    const texts = fc.oneof(
      fc
        .array(fc.constantFrom(...'0123456789.: \\'.split('')), { maxLength: 14 })
        .map((a) => a.join('')),
      fc
        .tuple(fc.constantFrom(2, 4, 6), fc.integer({ min: 0, max: 7 }))
        .chain(([n, f]) =>
          fc.tuple(digits(n), digits(f)).map(([t, frac]) => (f === 0 ? t : `${t}.${frac}`)),
        ),
    );
    fc.assert(
      fc.property(texts, (text) => {
        const expected = text.split('\\').every((v) => v.trim() === '' || valid(v.trim()));
        expect(isTimeText(text)).toBe(expected);
      }),
      { numRuns: 5000 },
    );
  });

  it('converts ISO timestamps (DASHER jittered_timestamp) to DA, DT and TM', () => {
    expect(isoToDicom('1961-08-01T00:00:00-0700', 'DA')).toBe('19610801');
    expect(isoToDicom('2010-02-09T11:50:00-08:00', 'DT')).toBe('20100209115000-0800');
    expect(isoToDicom('2010-02-09T11:50:00Z', 'DT')).toBe('20100209115000+0000');
    expect(isoToDicom('2010-02-09T11:50:00', 'TM')).toBe('115000');
    expect(isoToDicom('2010-02-09', 'LO')).toBe('2010-02-09');
    expect(isoToDicom('not a date', 'DA')).toBe('not a date');
  });
});
