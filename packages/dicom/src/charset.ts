/**
 * Specific Character Set (0008,0005): decoding text values of SH, LO, ST, LT, PN, UC and UT,
 * including ISO 2022 code extensions (PS3.5 6.1, PS3.3 C.12.1.1.2), and encoding replacement
 * values so that they are valid in the data set's character set.
 */
import { TextDecoder } from 'node:util';

const ESC = 0x1b;

/** A single-byte or multi-byte coded character set reachable in DICOM. */
type Charset =
  | { readonly kind: 'ascii' }
  | { readonly kind: 'romaji' }
  | { readonly kind: 'latin1' }
  | { readonly kind: 'decoder'; readonly label: string }
  | { readonly kind: 'katakana' }
  | { readonly kind: 'jis0208' }
  | { readonly kind: 'jis0212' }
  | { readonly kind: 'euc'; readonly label: string };

const ASCII: Charset = { kind: 'ascii' };
const LATIN1: Charset = { kind: 'latin1' };
const single = (label: string): Charset => ({ kind: 'decoder', label });

/** Character sets without code extensions: the whole value is decoded with one decoder. */
const PLAIN_TERMS: Readonly<Record<string, Charset>> = {
  '': ASCII,
  ISO_IR_6: ASCII,
  'ISO_IR 6': ASCII,
  'ISO_IR 100': LATIN1,
  'ISO_IR 101': single('iso-8859-2'),
  'ISO_IR 109': single('iso-8859-3'),
  'ISO_IR 110': single('iso-8859-4'),
  'ISO_IR 144': single('iso-8859-5'),
  'ISO_IR 127': single('iso-8859-6'),
  'ISO_IR 126': single('iso-8859-7'),
  'ISO_IR 138': single('iso-8859-8'),
  'ISO_IR 148': single('iso-8859-9'),
  'ISO_IR 203': single('iso-8859-15'),
  'ISO_IR 166': single('windows-874'),
  'ISO_IR 13': single('shift_jis'),
  'ISO_IR 192': single('utf-8'),
  GB18030: single('gb18030'),
  GBK: single('gbk'),
};

/** The G0/G1 designations of an ISO 2022 term when it is value 1 (the initial state). */
interface Designation {
  readonly g0: Charset;
  readonly g1?: Charset;
}

const ISO2022_TERMS: Readonly<Record<string, Designation>> = {
  'ISO 2022 IR 6': { g0: ASCII },
  'ISO 2022 IR 100': { g0: ASCII, g1: LATIN1 },
  'ISO 2022 IR 101': { g0: ASCII, g1: single('iso-8859-2') },
  'ISO 2022 IR 109': { g0: ASCII, g1: single('iso-8859-3') },
  'ISO 2022 IR 110': { g0: ASCII, g1: single('iso-8859-4') },
  'ISO 2022 IR 144': { g0: ASCII, g1: single('iso-8859-5') },
  'ISO 2022 IR 127': { g0: ASCII, g1: single('iso-8859-6') },
  'ISO 2022 IR 126': { g0: ASCII, g1: single('iso-8859-7') },
  'ISO 2022 IR 138': { g0: ASCII, g1: single('iso-8859-8') },
  'ISO 2022 IR 148': { g0: ASCII, g1: single('iso-8859-9') },
  'ISO 2022 IR 203': { g0: ASCII, g1: single('iso-8859-15') },
  'ISO 2022 IR 166': { g0: ASCII, g1: single('windows-874') },
  'ISO 2022 IR 13': { g0: { kind: 'romaji' }, g1: { kind: 'katakana' } },
  'ISO 2022 IR 87': { g0: { kind: 'jis0208' } },
  'ISO 2022 IR 159': { g0: { kind: 'jis0212' } },
  'ISO 2022 IR 149': { g0: ASCII, g1: { kind: 'euc', label: 'euc-kr' } },
  'ISO 2022 IR 58': { g0: ASCII, g1: { kind: 'euc', label: 'gbk' } },
};

/** Escape sequences (the bytes after ESC) and what they designate. */
const ESCAPES: ReadonlyArray<{ bytes: readonly number[]; g: 0 | 1; charset: Charset }> = [
  { bytes: [0x28, 0x42], g: 0, charset: ASCII }, // ESC ( B
  { bytes: [0x28, 0x4a], g: 0, charset: { kind: 'romaji' } }, // ESC ( J
  { bytes: [0x29, 0x49], g: 1, charset: { kind: 'katakana' } }, // ESC ) I
  { bytes: [0x24, 0x42], g: 0, charset: { kind: 'jis0208' } }, // ESC $ B
  { bytes: [0x24, 0x28, 0x44], g: 0, charset: { kind: 'jis0212' } }, // ESC $ ( D
  { bytes: [0x24, 0x29, 0x43], g: 1, charset: { kind: 'euc', label: 'euc-kr' } }, // ESC $ ) C
  { bytes: [0x24, 0x29, 0x41], g: 1, charset: { kind: 'euc', label: 'gbk' } }, // ESC $ ) A
  { bytes: [0x2d, 0x41], g: 1, charset: LATIN1 }, // ESC - A
  { bytes: [0x2d, 0x42], g: 1, charset: single('iso-8859-2') },
  { bytes: [0x2d, 0x43], g: 1, charset: single('iso-8859-3') },
  { bytes: [0x2d, 0x44], g: 1, charset: single('iso-8859-4') },
  { bytes: [0x2d, 0x4c], g: 1, charset: single('iso-8859-5') },
  { bytes: [0x2d, 0x47], g: 1, charset: single('iso-8859-6') },
  { bytes: [0x2d, 0x46], g: 1, charset: single('iso-8859-7') },
  { bytes: [0x2d, 0x48], g: 1, charset: single('iso-8859-8') },
  { bytes: [0x2d, 0x4d], g: 1, charset: single('iso-8859-9') },
  { bytes: [0x2d, 0x54], g: 1, charset: single('windows-874') },
  { bytes: [0x2d, 0x62], g: 1, charset: single('iso-8859-15') },
];

const decoders = new Map<string, TextDecoder>();
function decoder(label: string): TextDecoder {
  let d = decoders.get(label);
  if (!d) {
    d = new TextDecoder(label);
    decoders.set(label, d);
  }
  return d;
}

function decodeRun(charset: Charset, bytes: Uint8Array): string {
  switch (charset.kind) {
    case 'ascii':
    case 'romaji':
    case 'latin1':
      return (
        Buffer.isBuffer(bytes)
          ? bytes
          : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
      ).toString('latin1');
    case 'decoder':
    case 'euc':
      return decoder(charset.label).decode(bytes);
    case 'katakana': {
      let s = '';
      for (const b of bytes)
        s +=
          b >= 0xa1 && b <= 0xdf ? String.fromCharCode(0xff61 + b - 0xa1) : String.fromCharCode(b);
      return s;
    }
    case 'jis0208':
    case 'jis0212': {
      // JIS X 0208/0212 in G0 are 7-bit byte pairs: set the high bits to get EUC-JP.
      const prefix = charset.kind === 'jis0212' ? 1 : 0;
      const euc = new Uint8Array((bytes.length / 2) * (2 + prefix));
      let j = 0;
      for (let i = 0; i + 1 < bytes.length; i += 2) {
        if (prefix) euc[j++] = 0x8f;
        euc[j++] = (bytes[i] ?? 0) | 0x80;
        euc[j++] = (bytes[i + 1] ?? 0) | 0x80;
      }
      return decoder('euc-jp').decode(euc.subarray(0, j));
    }
  }
}

function isTwoByte(charset: Charset): boolean {
  return charset.kind === 'jis0208' || charset.kind === 'jis0212';
}

/**
 * The character set of a data set, from the values of its Specific Character Set.
 * Unknown terms decode as ISO-IR 6 with Latin-1 for the high half, never throw.
 */
export class CharacterSet {
  /** The default repertoire (no Specific Character Set). */
  static readonly DEFAULT = new CharacterSet([]);

  private readonly plain: Charset | undefined;
  private readonly initial: Designation;
  private reverse: Map<string, number> | undefined;

  /** @param terms the values of Specific Character Set (0008,0005), trimmed. */
  constructor(readonly terms: readonly string[]) {
    const first = terms[0] ?? '';
    const iso2022 = terms.length > 1 || first.startsWith('ISO 2022');
    this.plain = iso2022 ? undefined : (PLAIN_TERMS[first] ?? LATIN1);
    this.initial = ISO2022_TERMS[first] ?? { g0: ASCII, g1: LATIN1 };
  }

  /**
   * The length of the escape sequence at `bytes[at]` (the ESC included) when it designates
   * one of the character sets this Specific Character Set declares with code extensions
   * (ISO 2022), else 0: a value may hold no other escape.
   */
  escapeLength(bytes: Uint8Array, at: number): number {
    if (this.plain) return 0;
    const esc = ESCAPES.find((e) => e.bytes.every((x, k) => bytes[at + 1 + k] === x));
    if (!esc) return 0;
    const declared = this.terms.map((t) => ISO2022_TERMS[t === '' ? 'ISO 2022 IR 6' : t]);
    const same = (c: Charset | undefined): boolean =>
      c !== undefined &&
      c.kind === esc.charset.kind &&
      ('label' in c ? c.label : '') === ('label' in esc.charset ? esc.charset.label : '');
    const ok = esc.charset.kind === 'ascii' || declared.some((d) => same(d?.g0) || same(d?.g1));
    return ok ? 1 + esc.bytes.length : 0;
  }

  /** Decode the bytes of a text value; `pn` makes `^` and `=` delimiters (PS3.5 6.2.1). */
  decode(bytes: Uint8Array, pn = false): string {
    if (this.plain) return decodeRun(this.plain, bytes);
    return this.decodeIso2022(bytes, pn);
  }

  private decodeIso2022(bytes: Uint8Array, pn: boolean): string {
    let g0 = this.initial.g0;
    let g1 = this.initial.g1;
    let out = '';
    let i = 0;
    while (i < bytes.length) {
      const b = bytes[i] ?? 0;
      if (b === ESC) {
        const esc = ESCAPES.find((e) => e.bytes.every((x, k) => bytes[i + 1 + k] === x));
        if (esc) {
          if (esc.g === 0) g0 = esc.charset;
          else g1 = esc.charset;
          i += 1 + esc.bytes.length;
          continue;
        }
        out += '\u001b';
        i++;
        continue;
      }
      // A run of bytes in one character set: G0 (7-bit) or G1 (8-bit).
      const high = b >= 0x80;
      const charset = high ? (g1 ?? LATIN1) : g0;
      let j = i;
      if (!high && isTwoByte(charset)) {
        while (j + 1 < bytes.length && (bytes[j] ?? 0) >= 0x21 && (bytes[j] ?? 0) < 0x7f) j += 2;
        if (j === i) j = i + 1; // a control character in two-byte mode
        out += j === i + 1 ? String.fromCharCode(b) : decodeRun(charset, bytes.subarray(i, j));
        i = j;
        continue;
      }
      while (j < bytes.length) {
        const c = bytes[j] ?? 0;
        if (c === ESC || c >= 0x80 !== high) break;
        j++;
        if (!high && isDelimiter(c, pn)) break;
      }
      out += decodeRun(charset, bytes.subarray(i, j));
      const last = bytes[j - 1] ?? 0;
      if (!high && isDelimiter(last, pn)) {
        g0 = this.initial.g0;
        g1 = this.initial.g1;
      }
      i = j;
    }
    return out;
  }

  /**
   * Encode a replacement text value. ASCII is valid in every character set; other
   * characters are encoded in a single-byte or UTF-8 character set. Anything else
   * (e.g. kanji into ISO 2022 IR 87) cannot be encoded: undefined.
   */
  encode(text: string): Buffer | undefined {
    let highest = 0;
    for (let i = 0; i < text.length; i++) highest = Math.max(highest, text.charCodeAt(i));
    if (highest < 0x80) return Buffer.from(text, 'latin1');
    const target = this.plain ?? this.initial.g1;
    if (target?.kind === 'latin1' && highest <= 0xff) return Buffer.from(text, 'latin1');
    if (target?.kind === 'decoder' && target.label === 'utf-8') return Buffer.from(text, 'utf8');
    if (target?.kind === 'decoder' && target.label.startsWith('iso-8859')) {
      const reverse = this.reverseTable(target.label);
      const out = Buffer.alloc(text.length);
      let k = 0;
      for (const ch of text) {
        const code = ch.charCodeAt(0) < 0x80 ? ch.charCodeAt(0) : reverse.get(ch);
        if (code === undefined) break;
        out[k++] = code;
      }
      if (k === text.length) return out;
    }
    return undefined;
  }

  private reverseTable(label: string): Map<string, number> {
    if (!this.reverse) {
      this.reverse = new Map();
      const d = decoder(label);
      for (let b = 0xa0; b <= 0xff; b++) {
        const ch = d.decode(Uint8Array.of(b));
        if (ch !== '\ufffd') this.reverse.set(ch, b);
      }
    }
    return this.reverse;
  }
}

function isDelimiter(byte: number, pn: boolean): boolean {
  return (
    byte === 0x5c ||
    byte === 0x0d ||
    byte === 0x0a ||
    byte === 0x09 ||
    byte === 0x0c ||
    (pn && (byte === 0x5e || byte === 0x3d))
  );
}
