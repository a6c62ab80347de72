/**
 * What the default profile keeps beyond Table E.1-1 although its VR could carry text, and
 * the private attributes it keeps with the Retain Safe Private option.
 */
import type { FieldSelector } from '../recipe/types';

/**
 * Standard text attributes (LO, SH, UC, UR) not in Table E.1-1 that name equipment,
 * codes or acquisition settings, never a person: kept. Every other text attribute that
 * the table does not list is removed (or, with Clean Descriptors, kept only when clean).
 */
export const SAFE_TEXT_KEYWORDS: readonly string[] = [
  'Manufacturer',
  'ManufacturerModelName',
  'SoftwareVersions',
  'DetectorManufacturerName',
  'DetectorManufacturerModelName',
  'SecondaryCaptureDeviceManufacturer',
  'SecondaryCaptureDeviceManufacturerModelName',
  'SecondaryCaptureDeviceSoftwareVersions',
  'ConvolutionKernel',
  'RescaleType',
  'SequenceName',
  'PulseSequenceName',
  'ReceiveCoilName',
  'TransmitCoilName',
  'FilterType',
  'CodeValue',
  'CodingSchemeDesignator',
  'CodingSchemeVersion',
  'CodeMeaning',
  'LongCodeValue',
  'URNCodeValue',
  'MappingResourceName',
];

/**
 * UI attributes not in Table E.1-1 that hold class, transfer syntax, coding or context UIDs
 * (shared vocabulary, not instances): kept. Every other UID is remapped.
 */
export const SHARED_UID_KEYWORDS: readonly string[] = [
  'SOPClassUID',
  'RelatedGeneralSOPClassUID',
  'OriginalSpecializedSOPClassUID',
  'SOPClassesInStudy',
  'SOPClassesSupported',
  'PertinentSOPClassesInStudy',
  'PertinentSOPClassesInSeries',
  'ReferencedSOPClassUID',
  'ReferencedSOPClassUIDInFile',
  'ReferencedRelatedGeneralSOPClassUIDInFile',
  'RTVCommunicationSOPClassUID',
  'StoredInstanceTransferSyntaxUID',
  'AvailableTransferSyntaxUID',
  'FlowTransferSyntaxUID',
  'MACCalculationTransferSyntaxUID',
  'EncryptedContentTransferSyntaxUID',
  'ReferencedTransferSyntaxUIDInFile',
  'CodingSchemeUID',
  'ContextGroupExtensionCreatorUID',
  'ContextUID',
  'MappingResourceUID',
  'CreatorVersionUID',
  'SegmentationTemplateUID',
];

const SAFE_PRIVATE_BLOCKS: ReadonlyArray<
  readonly [creator: string, group: number, offsets: readonly number[]]
> = [
  ['GEMS_ACQU_01', 0x0019, [0x23, 0x24, 0x27]],
  ['GEMS_PARM_01', 0x0043, [0x27]],
  ['GEMS_SERS_01', 0x0025, [0x07]],
  ['SIEMENS MR HEADER', 0x0019, [0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x27]],
  ['Philips Imaging DD 001', 0x2001, [0x03, 0x04]],
  ['Philips PET Private Group', 0x7053, [0x00, 0x09]],
];

/**
 * Private attributes known to be safe (a subset of PS3.15 Table E.3.10-1: numeric
 * acquisition parameters of common scanners), kept with the Retain Safe Private option.
 */
export const SAFE_PRIVATE_ATTRIBUTES: readonly FieldSelector[] = SAFE_PRIVATE_BLOCKS.flatMap(
  ([creator, group, offsets]) =>
    offsets.map((offset): FieldSelector => ({ kind: 'private', group, creator, offset })),
);
