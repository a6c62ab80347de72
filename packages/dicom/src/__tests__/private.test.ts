/**
 * Private elements: sequences in implicit VR files, KEEP of a private element keeping its
 * creator, ADD of a private tag by number; REPLACE into AT, SV, UV and UN elements.
 */
import { defaultRecipe, layerRecipes, parseRecipe } from '..';
import { IMPLICIT_LE, type Spec } from './builder';
import { identified, recipeOf, run, T } from './fixtures';

const CREATOR = 0x00290010;
const PRIVATE_SEQUENCE = 0x00291010;

/** A private sequence (implicit VR writes it without a VR: it reads as UN) holding a name. */
const withPrivateSequence = (): Spec[] =>
  identified([
    { tag: CREATOR, vr: 'LO', value: 'ACME SEQ' },
    {
      tag: PRIVATE_SEQUENCE,
      vr: 'SQ',
      value: [[{ tag: T.PatientName, vr: 'PN', value: 'Doe^Nested' }]],
    },
  ]);

describe('private elements', () => {
  it('a private sequence in an implicit VR file is parsed as a sequence: rules reach inside', () => {
    const result = run(withPrivateSequence(), recipeOf('REPLACE PatientName X', 'KEEP ALL'), {
      encoding: IMPLICIT_LE,
      transferSyntax: '1.2.840.10008.1.2',
    });
    const items = result.header.items(PRIVATE_SEQUENCE);
    expect(items).toHaveLength(1);
    expect(items[0]?.string(T.PatientName)).toBe('X');
    expect(result.bytes.includes(Buffer.from('Doe^Nested'))).toBe(false);
  });

  it('KEEP (gggg,"CREATOR",ee) over the default profile keeps the element and its creator', () => {
    const recipe = layerRecipes(
      parseRecipe('%header\nKEEP (0009,"ACME",01)\n', 'k.recipe'),
      defaultRecipe({}),
    );
    const result = run(identified(), recipe);
    expect(result.header.string(T.PrivateCreator)).toBe('ACME');
    expect(result.header.string(T.PrivateValue)).toBe('secret-private');
  });

  it('ADD creates a private element by number (as text)', () => {
    for (const [encoding, transferSyntax] of [
      [undefined, undefined],
      [IMPLICIT_LE, '1.2.840.10008.1.2'],
    ] as const) {
      const result = run(identified(), recipeOf('ADD 00091002 hello', 'KEEP ALL'), {
        ...(encoding ? { encoding, transferSyntax } : {}),
      });
      // Implicit VR reads it back as UN (bytes): compare the value bytes.
      const added = result.header.element(0x00091002);
      expect(added && result.header.dataset.valueBytes(added).toString('latin1')).toBe('hello ');
    }
  });

  it('REPLACE writes AT, SV, UV and UN values', () => {
    const specs = identified([
      { tag: 0x00209165, vr: 'AT', value: Buffer.from([0x10, 0x00, 0x10, 0x00]) },
      { tag: 0x00080428, vr: 'UV', value: Buffer.alloc(8, 1) },
      { tag: 0x00720082, vr: 'SV', value: Buffer.alloc(8, 1) },
      { tag: 0x00091003, vr: 'UN', value: Buffer.from('old text') },
    ]);
    const result = run(
      specs,
      recipeOf(
        'REPLACE DimensionIndexPointer (0020,000D)\\00100020\nREPLACE TotalNumberOfStudyRecords 18446744073709551615\nREPLACE SelectorSVValue -9223372036854775808\\7\nREPLACE (0009,"ACME",03) new text',
        'KEEP ALL',
      ),
    );
    expect(result.header.string(0x00209165)).toBe(`${0x0020000d}\\${0x00100020}`);
    const uv = result.header.element(0x00080428);
    expect(uv && result.header.dataset.valueBytes(uv).readBigUInt64LE(0)).toBe(
      18446744073709551615n,
    );
    const sv = result.header.element(0x00720082);
    const svBytes = sv ? result.header.dataset.valueBytes(sv) : Buffer.alloc(0);
    expect([svBytes.readBigInt64LE(0), svBytes.readBigInt64LE(8)]).toEqual([
      -9223372036854775808n,
      7n,
    ]);
    const un = result.header.element(0x00091003);
    expect(un && result.header.dataset.valueBytes(un).toString('latin1')).toBe('new text');
    expect(() => run(specs, recipeOf('REPLACE TotalNumberOfStudyRecords -1', 'KEEP ALL'))).toThrow(
      /out of range for VR UV/,
    );
  });
});
