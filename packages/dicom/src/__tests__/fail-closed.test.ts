/**
 * Corrupt input must never carry identifying values out: a length or tag changed so that a
 * kept element holds identifying bytes, pixel data smuggled into a second or nested pixel
 * data element, impossible dates, structures other readers cannot parse, and hostile sizes.
 * Every file here is refused with a reason naming the element and the offset (never a
 * value), or de-identified with nothing identifying left.
 */
import { isSomError } from '@som/core';
import {
  defaultRecipe,
  deidentify,
  DicomValidationError,
  fileIdentifiersOf,
  isoTimestamp,
  MAX_STRUCTURES,
  PhiLeakError,
  readDicomHeader,
  refusalOf,
  type DeidOptions,
  type DeidResult,
} from '..';
import { parseDicom } from '../reader';
import { encode, EXPLICIT_LE, IMPLICIT_LE, part10, type Enc, type Spec } from './builder';
import { identified, ORIGINAL, recipeOf } from './fixtures';

/** Identifying values of {@link specs}: none may be in an output or a message. */
const PHI = ['Doe^Jane', 'St Mary Hospital', 'ACC123', 'PID123', 'Doe^John', 'OTHER456'];

/** The fixture with the elements a corrupt length or tag could turn into kept ones. */
function specs(extra: Spec[] = []): Spec[] {
  return identified([
    { tag: 0x00080008, vr: 'CS', value: 'ORIGINAL\\PRIMARY' }, // ImageType
    { tag: 0x00080070, vr: 'LO', value: 'ACME' }, // Manufacturer
    { tag: 0x00080080, vr: 'LO', value: 'St Mary Hospital' }, // InstitutionName
    { tag: 0x00080090, vr: 'PN', value: 'Doe^Jane' }, // ReferringPhysicianName
    { tag: 0x00081090, vr: 'LO', value: 'SCANNER 9' }, // ManufacturerModelName
    { tag: 0x00181020, vr: 'LO', value: 'V1.0' }, // SoftwareVersions
    { tag: 0x00201041, vr: 'DS', value: '12.5' }, // SliceLocation
    { tag: 0x00280004, vr: 'CS', value: 'MONOCHROME2' },
    { tag: 0x00280011, vr: 'US', value: Buffer.of(4, 0) }, // Columns
    { tag: 0x00280030, vr: 'DS', value: '0.5\\0.5' }, // PixelSpacing
    { tag: 0x00280100, vr: 'US', value: Buffer.of(16, 0) }, // BitsAllocated
    ...extra,
  ]);
}

function options(source = 'bad.dcm'): DeidOptions {
  return {
    source,
    recipe: defaultRecipe({}),
    aliases: {
      entity: { id: 'PID123', id_source: 'DICOM PatientID', suid: 'ENT-1', jitter: -10, items: [] },
    },
    uidKey: 'fail-closed-key',
  };
}

function file(list: Spec[], enc: Enc = EXPLICIT_LE, syntax = '1.2.840.10008.1.2.1'): Buffer {
  return part10(list, syntax, enc);
}

/** The error `deidentify` throws for `bytes` (fails the test when it writes a file). */
function refusal(bytes: Buffer, opts: DeidOptions = options()): Error {
  let result: DeidResult | undefined;
  try {
    result = deidentify(bytes, opts);
  } catch (err) {
    if (!isSomError(err, 'InvalidArgument')) throw err;
    for (const value of PHI) expect(err.message).not.toContain(value);
    return err;
  }
  throw new Error(`written (${result.byteLength} bytes)`);
}

/** The offset and size of the first top-level element `tag` of `bytes`. */
function locate(bytes: Buffer, tag: number, at = (d: ReturnType<typeof parseDicom>) => d.dataset) {
  const element = at(parseDicom(bytes, 'x')).elements.find((e) => e.tag === tag);
  if (!element) throw new Error(`no element ${tag.toString(16)}`);
  return element;
}

/** `bytes` with the 2-byte length of the explicit VR element at `offset` grown by `by`. */
function lengthen(bytes: Buffer, offset: number, by: number): Buffer {
  const out = Buffer.from(bytes);
  out.writeUInt16LE(out.readUInt16LE(offset + 6) + by, offset + 6);
  return out;
}

/** `bytes` with the tag (and, in explicit VR, the VR kept) of the element at `offset` set to `tag`. */
function retag(bytes: Buffer, offset: number, tag: number): Buffer {
  const out = Buffer.from(bytes);
  out.writeUInt16LE(tag >>> 16, offset);
  out.writeUInt16LE(tag & 0xffff, offset + 2);
  return out;
}

describe('a kept element that swallows identifying elements (a lengthened length field)', () => {
  const bytes = file(specs());

  it.each([
    ['Manufacturer', 0x00080070, 'a control character'],
    ['Modality', 0x00080060, 'a byte outside the default character repertoire'],
    ['ImageType', 0x00080008, 'a byte outside the default character repertoire'],
    ['SliceLocation', 0x00201041, 'a byte outside the default character repertoire'],
    ['SoftwareVersions', 0x00181020, 'a control character'],
  ])('%s is refused, naming it and its offset', (keyword, tag, reason) => {
    const element = locate(bytes, tag);
    const next = parseDicom(bytes, 'x').dataset.elements.find((e) => e.offset === element.end);
    const swallowed = lengthen(bytes, element.offset, (next?.end ?? 0) - element.end);
    const err = refusal(swallowed);
    expect(err).toBeInstanceOf(DicomValidationError);
    expect((err as DicomValidationError).tag).toBe(tag);
    expect(err.message).toContain(`${keyword} (`);
    expect(err.message).toContain(`at byte ${element.offset}: ${reason}`);
  });

  it('in a sequence item too: a referenced SOP Class UID or a code designator', () => {
    const item = (extra: Spec[]): Spec[] => [
      { tag: 0x00080100, vr: 'SH', value: 'T-1' }, // CodeValue
      { tag: 0x00080102, vr: 'SH', value: 'SRT' }, // CodingSchemeDesignator
      { tag: 0x00080104, vr: 'LO', value: 'Doe^Jane' }, // CodeMeaning
      ...extra,
    ];
    const bytes = file(specs([{ tag: 0x00082218, vr: 'SQ', value: [item([])] }]));
    const parsed = parseDicom(bytes, 'x');
    const inner = (tag: number, seq: number) =>
      parsed.dataset
        .items(parsed.dataset.get(seq) ?? parsed.dataset.elements[0]!)[0]!
        .elements.find((e) => e.tag === tag)!;
    const designator = inner(0x00080102, 0x00082218);
    expect(refusal(lengthen(bytes, designator.offset, 16)).message).toMatch(
      /CodingSchemeDesignator \(0008,0102\) at byte \d+: a control character/,
    );
    const referenced = inner(0x00081150, 0x00081140);
    expect(refusal(lengthen(bytes, referenced.offset, 8 + 12)).message).toMatch(
      /ReferencedSOPClassUID \(0008,1150\) at byte \d+: a byte outside the default character repertoire/,
    );
  });
});

describe('an identifying element renumbered to a kept attribute', () => {
  const renumberings: [string, number, number, string][] = [
    ['AccessionNumber', 0x00080050, 0x00080070, 'Manufacturer'],
    ['PatientName', 0x00100010, 0x00280030, 'PixelSpacing'],
    ['StudyInstanceUID', 0x0020000d, 0x00181020, 'SoftwareVersions'],
    ['PatientBirthDate', 0x00100030, 0x00081090, 'ManufacturerModelName'],
  ];

  /** The outcome of a corrupt file: refused without a value in the message, or written without any. */
  function safely(bytes: Buffer): 'refused' | 'written' {
    try {
      const result = deidentify(bytes, options());
      for (const value of PHI) expect(result.bytes.includes(Buffer.from(value))).toBe(false);
      return 'written';
    } catch (err) {
      if (!(err instanceof DicomValidationError)) throw err;
      for (const value of PHI) expect(err.message).not.toContain(value);
      return 'refused';
    }
  }

  it('keeping its explicit VR, each is refused or removed', () => {
    const outcomes = renumberings.map(([, tag, to]) => {
      const bytes = file(specs().filter((s) => s.tag !== to));
      return safely(retag(bytes, locate(bytes, tag).offset, to));
    });
    // A PN value under the tag of Pixel Spacing: no rule keeps a PN there, it is removed.
    expect(outcomes).toEqual(['refused', 'written', 'refused', 'refused']);
  });

  it('in implicit VR (the dictionary VR), each is refused', () => {
    const outcomes = renumberings.map(([, tag, to]) => {
      const bytes = file(
        specs().filter((s) => s.tag !== to),
        IMPLICIT_LE,
        '1.2.840.10008.1.2',
      );
      return safely(retag(bytes, locate(bytes, tag).offset, to));
    });
    // The study UID under Software Versions keeps the tags in order and is a valid LO: see
    // the limits in docs/deidentification.md (the identifiers pass refuses a file without
    // Study Instance UID).
    expect(outcomes.filter((_, i) => i !== 2)).toEqual(['refused', 'refused', 'refused']);
  });

  it('keeping the order in implicit VR, the output search finds the identifying value', () => {
    // Manufacturer holds the referring physician's name, as a renumbered element would.
    const list = specs().map((s) => (s.tag === 0x00080070 ? { ...s, value: 'Doe^Jane' } : s));
    const err = refusal(file(list, IMPLICIT_LE, '1.2.840.10008.1.2'));
    expect(err).toBeInstanceOf(PhiLeakError);
    expect(err.message).toMatch(
      /^bad\.dcm: would leak ReferringPhysicianName: found in Manufacturer \(0008,0070\) of the output at byte \d+$/,
    );
  });

  it('a recipe function that returns the original name is caught the same way', () => {
    const err = refusal(
      file(specs()),
      Object.assign(options(), {
        recipe: recipeOf('REPLACE PatientName func:same'),
        functions: { same: (c: { value: string }) => c.value.toUpperCase() },
      }),
    );
    expect(err.message).toMatch(/would leak PatientName: found in PatientName \(0010,0010\)/);
  });

  it('a recipe function that fails is named with its element and the kind of error, never its message', () => {
    const err = refusal(
      file(specs()),
      Object.assign(options(), {
        recipe: recipeOf('REPLACE PatientName func:fails'),
        functions: {
          fails: (c: { value: string }) => {
            throw new RangeError(`cannot use ${c.value} (PID123)`);
          },
        },
      }),
    );
    expect(err.message).toMatch(
      /^bad\.dcm: PatientName \(0010,0010\) \(.* line \d+\): func:fails failed \(RangeError\)$/,
    );
  });
});

describe('a sequence whose items cannot be read', () => {
  it('a standard sequence relabelled UN over explicit VR items is refused, not kept as bytes', () => {
    const bytes = file(specs());
    const sequence = locate(bytes, 0x00081140);
    expect(bytes.toString('latin1', sequence.offset + 4, sequence.offset + 6)).toBe('SQ');
    bytes.write('UN', sequence.offset + 4, 'latin1');
    expect(bytes.includes(Buffer.from(ORIGINAL.referencedUid, 'latin1'))).toBe(true);
    expect(refusal(bytes).message).toMatch(
      /ReferencedImageSequence \(0008,1140\) at byte \d+: a sequence whose items cannot be read/,
    );
    expect(refusalOf(refusal(bytes))).toBe('invalid-element');
  });
});

describe('pixel data only once, at the top level', () => {
  const pixels: Spec = { tag: 0x7fe00010, vr: 'OW', value: Buffer.from('0123456789abcdef') };

  it('a second Pixel Data after the first is refused', () => {
    const bytes = Buffer.concat([file(specs()), encode([pixels], EXPLICIT_LE)]);
    expect(refusal(bytes).message).toMatch(
      /PixelData \(7FE0,0010\) at byte \d+: the same tag as the element before it/,
    );
  });

  it('an encapsulated Pixel Data after a native one is refused', () => {
    const encapsulated = Buffer.concat([
      Buffer.from('e07f1000', 'hex'),
      Buffer.from('OB\0\0', 'latin1'),
      Buffer.from('ffffffff' + 'feff00e000000000' + 'feff00e004000000', 'hex'),
      Buffer.from('abcd', 'latin1'),
      Buffer.from('feffdde000000000', 'hex'),
    ]);
    const err = refusal(Buffer.concat([file(specs()), encapsulated]));
    expect(err.message).toMatch(/PixelData \(7FE0,0010\) at byte \d+: the same tag/);
  });

  it('Pixel Data inside a Referenced Image Sequence item is refused', () => {
    const list = specs().map((s) =>
      s.tag === 0x00081140 && Array.isArray(s.value)
        ? { ...s, value: [[...(s.value[0] ?? []), pixels]] }
        : s,
    );
    expect(refusal(file(list)).message).toMatch(
      /PixelData \(7FE0,0010\) at byte \d+: pixel data inside an item of ReferencedImageSequence \(0008,1140\)/,
    );
  });

  it('a Float Pixel Data besides the Pixel Data is refused', () => {
    const float: Spec = { tag: 0x7fe00008, vr: 'OF', value: Buffer.alloc(8) };
    expect(refusal(file(specs([float]))).message).toMatch(
      /PixelData \(7FE0,0010\) at byte \d+: a second pixel data element in one data set/,
    );
  });

  it('keeps one icon image, with its own pixel data, when the recipe keeps it', () => {
    const icon: Spec = {
      tag: 0x00880200,
      vr: 'SQ',
      value: [[{ tag: 0x00280010, vr: 'US', value: Buffer.of(1, 0) }, pixels]],
    };
    const result = deidentify(file(specs([icon])), {
      ...options(),
      recipe: recipeOf('KEEP IconImageSequence', 'KEEP ALL'),
    });
    expect(result.header.items('IconImageSequence')).toHaveLength(1);
  });
});

describe('outputs other readers can parse', () => {
  it('an item delimitation item with a non-zero length is refused', () => {
    const list = specs().map((s) =>
      s.tag === 0x00081140 ? { ...s, undefinedLength: true, undefinedItems: true } : s,
    );
    const bytes = file(list);
    const sequence = locate(bytes, 0x00081140);
    const item = sequence.items?.[0];
    if (!item) throw new Error('no item');
    const bad = Buffer.from(bytes);
    bad.writeUInt32LE(4, item.end - 4);
    expect(refusal(bad).message).toMatch(
      /ReferencedImageSequence \(0008,1140\) at byte \d+: an item delimitation item with a non-zero length/,
    );
    const badSequence = Buffer.from(bytes);
    badSequence.writeUInt32LE(2, sequence.end - 4);
    expect(refusal(badSequence).message).toMatch(
      /a sequence delimitation item with a non-zero length/,
    );
  });

  it('a JPEG or RLE transfer syntax over native pixel data is refused', () => {
    for (const syntax of ['1.2.840.10008.1.2.4.50', '1.2.840.10008.1.2.5']) {
      expect(refusal(file(specs(), EXPLICIT_LE, syntax)).message).toMatch(
        /PixelData \(7FE0,0010\) at byte \d+: native pixel data where the transfer syntax declares encapsulated/,
      );
    }
  });

  it('a value the recipe rewrites keeps no corrupt VR (a shifted DT written as IS)', () => {
    const list = specs().map((s) => (s.tag === 0x0008002a ? { ...s, vr: 'IS' } : s));
    expect(refusal(file(list)).message).toMatch(
      /AcquisitionDateTime \(0008,002A\) \(a new value\): VR IS where the dictionary has DT/,
    );
  });

  it('a binary value whose length is not a multiple of its size is refused', () => {
    const list = specs().map((s) =>
      s.tag === 0x00280011 ? { ...s, value: Buffer.of(4, 0, 0) } : s,
    );
    expect(refusal(file(list)).message).toMatch(
      /Columns \(0028,0011\) at byte \d+: a length of 3 bytes, not a multiple of 2 as VR US needs/,
    );
  });

  it('an image cut before its pixel data is refused, not written as a header-only file', () => {
    const bytes = file(specs());
    const cut = bytes.subarray(0, locate(bytes, 0x7fe00010).offset);
    expect(refusal(cut).message).toMatch(
      /PixelData \(7FE0,0010\) at byte \d+: missing: the data set describes an image/,
    );
  });
});

describe('impossible dates', () => {
  const dated = (birth: string, study: string): Spec[] =>
    specs().map((s) =>
      s.tag === 0x00100030
        ? { ...s, value: birth }
        : s.tag === 0x00080020
          ? { ...s, value: study }
          : s,
    );

  it.each([
    ['00000000', '20200315'],
    ['19000229', '20200315'],
    ['19700101', '20231345'],
  ])(
    'birth date %s, study date %s: the impossible one is removed, the file written',
    (birth, study) => {
      const result = deidentify(file(dated(birth, study)), options());
      const header = result.header;
      expect(header.string('PatientBirthDate') ?? '').not.toBe(birth);
      expect(header.string('StudyDate') ?? '').not.toBe(study);
      expect(result.bytes.includes(Buffer.from(birth === '19700101' ? study : birth))).toBe(false);
    },
  );

  it('is no timestamp for the aliases, so the identifiers pass never sees it', () => {
    expect(isoTimestamp('00000000')).toBeUndefined();
    expect(isoTimestamp('19000229')).toBeUndefined();
    expect(isoTimestamp('20231345')).toBeUndefined();
    expect(isoTimestamp('20000229', '2561', '+2500')).toBe('2000-02-29T00:00:00');
    const header = readDicomHeader(file(dated('00000000', '20231345')), 'x.dcm');
    const identifiers = fileIdentifiersOf(header);
    expect(identifiers.entity?.timestamp).toBeUndefined();
    expect(identifiers.study?.timestamp).toBeUndefined();
  });

  it('kept by a recipe, it refuses the file without printing the date or any identifier', () => {
    const err = refusal(file(dated('19700101', '20231345')), {
      ...options(),
      recipe: recipeOf('KEEP ALL'),
    });
    expect(err.message).toMatch(/^bad\.dcm: StudyDate \(0008,0020\) at byte \d+: not a valid date/);
    expect(err.message).not.toContain('20231345');
  });
});

describe('every refusal says its kind', () => {
  it.each([
    ['a length past the end of the file', (b: Buffer) => b.subarray(0, b.length - 3), 'malformed'],
    [
      'a kept value that is not valid for its VR',
      (b: Buffer) => {
        const element = locate(b, 0x00080070);
        const next = parseDicom(b, 'x').dataset.elements.find((e) => e.offset === element.end);
        return lengthen(b, element.offset, (next?.end ?? 0) - element.end);
      },
      'invalid-element',
    ],
  ] as const)('%s', (_label, mutate, kind) => {
    expect(refusalOf(refusal(mutate(file(specs()))))).toBe(kind);
  });

  it('an identifying value found in the output', () => {
    const leak = specs().map((s) => (s.tag === 0x00080070 ? { ...s, value: 'Doe^Jane' } : s));
    expect(refusalOf(refusal(file(leak, IMPLICIT_LE, '1.2.840.10008.1.2')))).toBe('would-leak');
  });
});

describe('bounded cost', () => {
  it('de-identifies 100,000 private elements in one private block', () => {
    const elements: Spec[] = [{ tag: 0x00090010, vr: 'LO', value: 'ACME' }];
    for (let i = 0; i < 100_000; i++)
      elements.push({ tag: 0x00091000 | (i & 0xff), vr: 'LO', value: 'x' });
    const base = file(specs());
    const pixels = locate(base, 0x7fe00010).offset;
    const bytes = Buffer.concat([
      base.subarray(0, pixels),
      encode(elements, EXPLICIT_LE),
      base.subarray(pixels),
    ]);
    // Repeated private tags are out of order, but only if kept: the default profile removes them.
    const result = deidentify(bytes, options());
    expect(result.header.has(0x00091000)).toBe(false);
    expect(refusal(bytes, { ...options(), recipe: recipeOf('KEEP ALL') }).message).toMatch(
      /\(0009,1000\) at byte \d+: the same tag as the element before it|out of order/,
    );
  });

  it(`refuses a file of more than ${MAX_STRUCTURES} elements and items, saying so`, () => {
    const items = Buffer.alloc(8 * (MAX_STRUCTURES + 1));
    for (let i = 0; i < MAX_STRUCTURES + 1; i++) items.writeUInt32LE(0xe000fffe, i * 8);
    const sequence = Buffer.concat([
      Buffer.from([0x08, 0x00, 0x40, 0x11]),
      Buffer.from('SQ\0\0'),
      Buffer.alloc(4),
    ]);
    sequence.writeUInt32LE(items.length, 8);
    const start = file([
      { tag: 0x00080016, vr: 'UI', value: '1.2.840.10008.5.1.4.1.1.7' },
      { tag: 0x00080018, vr: 'UI', value: '1.2.3.4' },
    ]);
    const bytes = Buffer.concat([start, sequence, items]);
    const err = refusal(bytes);
    expect(err.message).toMatch(
      new RegExp(`more than ${MAX_STRUCTURES} elements and items in one file at byte \\d+`),
    );
    expect(refusalOf(err)).toBe('over-limits');
  });
});
