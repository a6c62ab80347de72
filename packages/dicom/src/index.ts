/** @packageDocumentation DICOM reading, identifiers, deid recipes, the PS3.15 profile and a pixel-preserving writer. */
export { type AttributeKey, DicomDataset, type DicomElement, type DicomItem } from './dataset';
export { CharacterSet } from './charset';
export { type DictionaryEntry, keywordOf, lookupTag, tagOfKeyword } from './dictionary';
export { DicomHeader, readDicomHeader } from './header';
export {
  FIRST_PREFIX_BYTES,
  readFileHeader,
  readHeaderFromPrefixes,
  readHeaderIfDicom,
  readStreamHeader,
} from './header-file';
export { isDicom, sniffDicomFile, SNIFF_BYTES } from './sniff';
export { MAX_SEQUENCE_DEPTH, MAX_STRUCTURES } from './reader';
export { formatTag, type Tag } from './tags';
export { type Encoding, type TransferSyntax } from './transfer-syntax';
export * from './recipe/types';
export { parseRecipe } from './recipe/parse';
export { SelectorTally } from './recipe/tally';
export {
  loadRecipeFunctions,
  loadRecipeVariables,
  type RecipeVariableTable,
  variablesFor,
} from './recipe/loaders';
export { defaultRecipe, type ProfileOptions } from './profile/profile';
export { deidentify, type DeidAliases, type DeidOptions, type DeidResult } from './deid/deidentify';
export * from './identifiers';
export { SEARCHABLE_FIELDS, searchableFields } from './deid/searchable';
export { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME } from './deid/meta';
export { DicomValidationError } from './validate/structure';
export { PhiLeakError } from './validate/leaks';
export { DicomRefusal, REFUSAL_REASONS, type RefusalReason, refusalOf } from './refusal';
export { fieldType } from './field-types';
export { parseDicom, type ParsedDicom } from './reader';
export * from './pixels/filter-types';
export { defaultPixelFilter, NO_PIXEL_FILTER } from './pixels/default-filter';
export { screenHeader, type ScreenVerdict } from './pixels/screen';
export type { PixelCleaning } from './pixels/step';
export {
  isQuarantine,
  type PixelQuarantine,
  QuarantineError,
  type QuarantineReason,
} from './pixels/quarantine';
export {
  findBurnedInText,
  findTextInDataset,
  type TextBox,
  textQuarantine,
  textRegions,
  type TextSearch,
  type TextSearchOptions,
} from './pixels/ocr';
