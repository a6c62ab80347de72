/**
 * The file meta group of a de-identified file, rebuilt from scratch: nothing of the input's
 * meta group survives but its SOP Class and transfer syntax (source and sending AE titles,
 * private information and the original implementation are dropped).
 */
import { encodeValue } from './encode';
import { DicomDataset } from '../dataset';
import { Tags } from '../tags';
import { META_ENCODING } from '../transfer-syntax';
import { encodeHeader } from '../writer';

/** som's Implementation Class UID (a UUID-derived UID, PS3.5 B.2). */
export const IMPLEMENTATION_CLASS_UID = '2.25.19292365993558967781504605990861254561';

/** som's Implementation Version Name. */
export const IMPLEMENTATION_VERSION_NAME = 'SOM_DICOM_0.1';

/** What the file meta group says. */
export interface MetaValues {
  /** Media Storage SOP Class UID. */
  readonly sopClassUid: string;
  /** Media Storage SOP Instance UID. */
  readonly sopInstanceUid: string;
  /** Transfer Syntax UID. */
  readonly transferSyntaxUid: string;
}

const EMPTY = new DicomDataset(Buffer.alloc(0), META_ENCODING);

function element(tag: number, vr: string, value: Buffer): Buffer {
  return Buffer.concat([encodeHeader(tag, vr, value.length, META_ENCODING), value]);
}

function text(tag: number, vr: string, value: string): Buffer {
  return element(
    tag,
    vr,
    encodeValue(value, vr, EMPTY, () => 'file meta'),
  );
}

/** The elements that are the same in every file: the version, and som's implementation. */
let fixed: { version: Buffer; implementation: Buffer } | undefined;

/** The encoded file meta group, with its group length. */
export function buildMeta(values: MetaValues): Buffer {
  fixed ??= {
    version: element(Tags.FileMetaInformationVersion, 'OB', Buffer.of(0x00, 0x01)),
    implementation: Buffer.concat([
      text(Tags.ImplementationClassUID, 'UI', IMPLEMENTATION_CLASS_UID),
      text(Tags.ImplementationVersionName, 'SH', IMPLEMENTATION_VERSION_NAME),
    ]),
  };
  const parts = [
    fixed.version,
    text(Tags.MediaStorageSOPClassUID, 'UI', values.sopClassUid),
    text(Tags.MediaStorageSOPInstanceUID, 'UI', values.sopInstanceUid),
    text(Tags.TransferSyntaxUID, 'UI', values.transferSyntaxUid),
    fixed.implementation,
  ];
  const length = Buffer.alloc(4);
  length.writeUInt32LE(parts.reduce((n, part) => n + part.length, 0));
  return Buffer.concat([element(Tags.FileMetaInformationGroupLength, 'UL', length), ...parts]);
}
