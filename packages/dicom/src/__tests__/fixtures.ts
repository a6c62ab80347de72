/**
 * A small identified data set for the engine, writer and profile tests, and a runner.
 */
import { join } from 'node:path';
import { remapUid } from '@som/identifiers';
import {
  deidentify,
  layerRecipes,
  parseRecipe,
  type DeidOptions,
  type DeidResult,
  type Recipe,
} from '..';
import { EXPLICIT_LE, part10, type Enc, type Spec } from './builder';

/** pydicom/deid's recipes, unedited, in the shared data beside the repository (SOM_SHARED: jest.config.js). */
export const DEID_RECIPES = join(
  process.env.SOM_SHARED ?? join(__dirname, '..', '..', '..', '..', '..', 'shared'),
  'data',
  'deid-recipes',
);

/** The tags used below. */
export const T = {
  SpecificCharacterSet: 0x00080005,
  SOPClassUID: 0x00080016,
  SOPInstanceUID: 0x00080018,
  StudyDate: 0x00080020,
  AcquisitionDateTime: 0x0008002a,
  StudyTime: 0x00080030,
  AccessionNumber: 0x00080050,
  Modality: 0x00080060,
  ReferencedImageSequence: 0x00081140,
  ReferencedSOPClassUID: 0x00081150,
  ReferencedSOPInstanceUID: 0x00081155,
  PrivateCreator: 0x00090010,
  PrivateValue: 0x00091001,
  PatientName: 0x00100010,
  PatientID: 0x00100020,
  IssuerOfPatientID: 0x00100021,
  PatientBirthDate: 0x00100030,
  OtherPatientIDsSequence: 0x00101002,
  StudyInstanceUID: 0x0020000d,
  Rows: 0x00280010,
  PixelData: 0x7fe00010,
} as const;

/** The identified values of {@link identified}. */
export const ORIGINAL = {
  sopInstanceUid: '1.2.3.4.5.6',
  studyUid: '1.2.3.4',
  referencedUid: '1.2.3.4.5.7',
  patientName: 'Doe^John',
  patientId: 'PID123',
  otherId: 'OTHER456',
};

/** An identified data set with a nested sequence, a private block and pixel data. */
export function identified(extra: Spec[] = []): Spec[] {
  const specs: Spec[] = [
    { tag: T.SpecificCharacterSet, vr: 'CS', value: 'ISO_IR 100' },
    { tag: T.SOPClassUID, vr: 'UI', value: '1.2.840.10008.5.1.4.1.1.7' },
    { tag: T.SOPInstanceUID, vr: 'UI', value: ORIGINAL.sopInstanceUid },
    { tag: T.StudyDate, vr: 'DA', value: '20200315' },
    { tag: T.AcquisitionDateTime, vr: 'DT', value: '20200315101010.5+0100' },
    { tag: T.StudyTime, vr: 'TM', value: '101010' },
    { tag: T.AccessionNumber, vr: 'SH', value: 'ACC123' },
    { tag: T.Modality, vr: 'CS', value: 'OT' },
    {
      tag: T.ReferencedImageSequence,
      vr: 'SQ',
      value: [
        [
          { tag: T.ReferencedSOPClassUID, vr: 'UI', value: '1.2.840.10008.5.1.4.1.1.7' },
          { tag: T.ReferencedSOPInstanceUID, vr: 'UI', value: ORIGINAL.referencedUid },
        ],
      ],
    },
    { tag: T.PrivateCreator, vr: 'LO', value: 'ACME' },
    { tag: T.PrivateValue, vr: 'LO', value: 'secret-private' },
    { tag: T.PatientName, vr: 'PN', value: ORIGINAL.patientName },
    { tag: T.PatientID, vr: 'LO', value: ORIGINAL.patientId },
    { tag: T.PatientBirthDate, vr: 'DA', value: '19700101' },
    {
      tag: T.OtherPatientIDsSequence,
      vr: 'SQ',
      value: [
        [
          { tag: T.PatientID, vr: 'LO', value: ORIGINAL.otherId },
          { tag: T.IssuerOfPatientID, vr: 'LO', value: 'ISSUER' },
        ],
      ],
    },
    { tag: T.StudyInstanceUID, vr: 'UI', value: ORIGINAL.studyUid },
    { tag: T.Rows, vr: 'US', value: Buffer.of(2, 0) },
    { tag: T.PixelData, vr: 'OW', value: Buffer.from('0123456789abcdef') },
    ...extra,
  ];
  return specs.sort((a, b) => a.tag - b.tag);
}

/** The key of the tests. */
export const KEY = 'test-key';

/** remapUid under {@link KEY}. */
export function remapped(uid: string): string {
  return remapUid(KEY, uid);
}

/** Options of {@link run}. */
export interface RunOptions extends Partial<Omit<DeidOptions, 'recipe'>> {
  encoding?: Enc;
  transferSyntax?: string;
}

/** Parse one recipe text per layer. */
export function recipeOf(...layers: string[]): Recipe {
  return layerRecipes(...layers.map((text, i) => parseRecipe(`%header\n${text}`, `layer${i + 1}`)));
}

/** De-identify `specs` (as a Part 10 file) with `recipe`. */
export function run(specs: Spec[], recipe: Recipe, options: RunOptions = {}): DeidResult {
  const { encoding = EXPLICIT_LE, transferSyntax = '1.2.840.10008.1.2.1', ...rest } = options;
  return deidentify(part10(specs, transferSyntax, encoding), {
    source: 'test.dcm',
    recipe,
    aliases: {
      entity: {
        id: ORIGINAL.patientId,
        id_source: 'DICOM PatientID',
        suid: 'ENT-1',
        jitter: -10,
        items: [],
      },
      item: { id: ORIGINAL.studyUid, id_source: 'DICOM StudyInstanceUID', suid: 'ITEM-1' },
    },
    uidKey: KEY,
    ...rest,
  });
}
