/**
 * The names pydicom gives elements (`Patient's Name`, and `[Dataset UID]` for known private
 * elements), which deid's field selectors also match. Loaded on first use: only recipes
 * with pattern selectors need them, and their tables (half a megabyte of source) would
 * otherwise be read and parsed by every process and thread that loads this package.
 */
import type * as ElementNames from './profile/names.generated';
import type * as PrivateNames from './profile/private-names.generated';

let standard: Map<string, string> | undefined;
let privateNames: Map<string, string> | undefined;

/** The name of the standard attribute with this keyword (`PatientName` -> `Patient's Name`). */
export function nameOfKeyword(keyword: string): string | undefined {
  if (!standard) {
    standard = new Map();
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded when first needed
    const { ELEMENT_NAMES_TEXT } = require('./profile/names.generated') as typeof ElementNames;
    for (const line of ELEMENT_NAMES_TEXT.split('\n')) {
      const tab = line.indexOf('\t');
      if (tab > 0) standard.set(line.slice(0, tab), line.slice(tab + 1));
    }
  }
  return standard.get(keyword);
}

/**
 * pydicom's name of a private element, in brackets as pydicom writes it (`[Dataset UID]`),
 * from its private creator, group and offset in the block; undefined when unknown.
 */
export function nameOfPrivate(creator: string, group: number, offset: number): string | undefined {
  if (!privateNames) {
    privateNames = new Map();
    const { PRIVATE_NAMES_TEXT } =
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded when first needed
      require('./profile/private-names.generated') as typeof PrivateNames;
    for (const line of PRIVATE_NAMES_TEXT.split('\n')) {
      const [owner, tag, name] = line.split('\t');
      if (owner !== undefined && tag !== undefined && name !== undefined)
        privateNames.set(`${owner}\t${tag}`, `[${name}]`);
    }
  }
  const key = `${group.toString(16).toUpperCase().padStart(4, '0')}${offset.toString(16).toUpperCase().padStart(2, '0')}`;
  return privateNames.get(`${creator.trim()}\t${key}`);
}
