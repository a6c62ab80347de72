import { readHeaderFromPrefixes } from '../header-file';
import { EXPLICIT_BE, EXPLICIT_LE, IMPLICIT_LE, part10, type Enc, type Spec } from './builder';

const SYNTAX: [string, Enc][] = [
  ['1.2.840.10008.1.2.1', EXPLICIT_LE],
  ['1.2.840.10008.1.2', IMPLICIT_LE],
  ['1.2.840.10008.1.2.2', EXPLICIT_BE],
];

const PIXELS = Buffer.alloc(4096, 7);

function file(syntax: string, enc: Enc, pixels: Spec['value'] = PIXELS): Buffer {
  return part10(
    [
      { tag: 0x00100020, vr: 'LO', value: 'PATIENT-1' },
      { tag: 0x7fe00010, vr: 'OW', value: pixels },
    ],
    syntax,
    enc,
  );
}

/** The header of `bytes` read from prefixes of `first` bytes. */
function header(bytes: Buffer, first = 64): ReturnType<typeof readHeaderFromPrefixes> {
  return readHeaderFromPrefixes('f.dcm', bytes.length, async (n) => bytes.subarray(0, n), first);
}

describe('readHeaderFromPrefixes', () => {
  it.each(SYNTAX)(
    'fails a file cut inside its Pixel Data as truncated (%s)',
    async (syntax, enc) => {
      const whole = file(syntax, enc);
      expect((await header(whole)).string('PatientID')).toBe('PATIENT-1');
      expect((await header(whole, whole.length)).string('PatientID')).toBe('PATIENT-1');
      const cut = whole.subarray(0, whole.length - 1000);
      for (const first of [64, cut.length])
        await expect(header(cut, first)).rejects.toThrow(
          /^f\.dcm: truncated: its Pixel Data declares 4096 bytes, the file ends 3096 bytes into them$/,
        );
    },
  );

  it('leaves Pixel Data of undefined length to the de-identifier', async () => {
    const encapsulated = part10(
      [
        { tag: 0x00100020, vr: 'LO', value: 'PATIENT-1' },
        { tag: 0x7fe00010, vr: 'OB', value: [[]], undefinedLength: true },
      ],
      '1.2.840.10008.1.2.4.50',
      EXPLICIT_LE,
    );
    const cut = encapsulated.subarray(0, encapsulated.length - 4);
    expect((await header(cut)).string('PatientID')).toBe('PATIENT-1');
  });
});
