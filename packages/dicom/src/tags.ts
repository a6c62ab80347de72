/**
 * DICOM tags as unsigned 32-bit numbers (`group << 16 | element`), and their text forms.
 */

/** A DICOM tag: `(group << 16 | element) >>> 0`. */
export type Tag = number;

/** The group number of `tag`. */
export function tagGroup(tag: Tag): number {
  return tag >>> 16;
}

/** `(GGGG,EEEE)`, upper-case hex, as dcmdump and the standard write tags. */
export function formatTag(tag: Tag): string {
  const hex = tag.toString(16).toUpperCase().padStart(8, '0');
  return `(${hex.slice(0, 4)},${hex.slice(4)})`;
}

/** True for an element of an odd group (a private data element or a private creator). */
export function isPrivateTag(tag: Tag): boolean {
  return (tag & 0x00010000) !== 0;
}

/** True for a private creator element `(gggg,0010-00FF)` of an odd group. */
export function isPrivateCreatorTag(tag: Tag): boolean {
  const element = tag & 0xffff;
  return isPrivateTag(tag) && element >= 0x0010 && element <= 0x00ff;
}

/** True for a group length element `(gggg,0000)`. */
export function isGroupLengthTag(tag: Tag): boolean {
  return (tag & 0xffff) === 0;
}

/** Tags with a fixed meaning to the reader and writer. */
export const Tags = {
  FileMetaInformationGroupLength: 0x00020000,
  FileMetaInformationVersion: 0x00020001,
  MediaStorageSOPClassUID: 0x00020002,
  MediaStorageSOPInstanceUID: 0x00020003,
  TransferSyntaxUID: 0x00020010,
  ImplementationClassUID: 0x00020012,
  ImplementationVersionName: 0x00020013,
  SpecificCharacterSet: 0x00080005,
  SOPClassUID: 0x00080016,
  SOPInstanceUID: 0x00080018,
  PixelData: 0x7fe00010,
  Item: 0xfffee000,
  ItemDelimitationItem: 0xfffee00d,
  SequenceDelimitationItem: 0xfffee0dd,
} as const;
