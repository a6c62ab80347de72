/** @packageDocumentation The publishing pipeline as a library: scan -> aliases -> de-identify -> store -> summarise. */
export * from './config/types';
export { loadConfig, ConfigError, type ConfigInput } from './config/load';
export { isJsonObject, parseJson } from './config/json-text';
export { SecretValue } from './config/secret-value';
export { Secrets, REDACTION, MIN_REDACTED_LENGTH } from './config/secrets';
export { ADAPTERS, findAdapter, adapterTypes, type AdapterEntry } from './adapters';
export {
  walkInputs,
  type InputFile,
  type InputProblem,
  type WalkEntry,
  type WalkOptions,
} from './1-scan/walk';
export {
  scanInputs,
  reasonFor,
  type Scan,
  type ScannedFile,
  type ScanOptions,
} from './1-scan/scan';
export type { Log } from './2-aliases/aliases';
export { ByteBudget, FILE_BYTES_IN_MEMORY } from './3-deidentify/byte-budget';
export type { Deidentifier } from './3-deidentify/deid-pool';
export {
  md5OfFile,
  temporaryPathFor,
  writeFileAtomically,
  type WrittenFile,
} from './3-deidentify/atomic-file';
export { uploadFiles, type UploadOptions } from './4-store/upload';
export { entitySummary, refreshEntitySummary } from './4-store/entity-summary';
export { imageFieldsReader } from './4-store/image-fields';
export {
  Report,
  JsonReportSink,
  JsonReportFile,
  SUCCESS_OUTCOMES,
  summaryLine,
  entryLine,
  type FileOutcome,
  type FileReport,
  type Progress,
  type ReportSink,
  type ReportSummary,
  type OutcomeCounts,
} from './5-summarise/report';
export { prepareRun, type PrepareOptions, type PreparedRun } from './prepare';
