/**
 * @packageDocumentation Publishing DICOM folders as a library: `openClient()` from
 * `som.config.json` / `SOM_*`, `publish(paths, options)` (what `som upload` does) and
 * `deidentifyTree(paths, { out })` (what `som deid` does). The stages, in order: scan ->
 * aliases -> de-identify -> store -> summarise.
 */
export { publish, type PublishOptions } from './publish';
export { deidentifyTree, DEID_REPORT_NAME, type DeidentifyTreeOptions } from './deidentify-tree';
export type { RunOptions } from './run-options';
export {
  openClient,
  configOf,
  checkReachable,
  REACH_TIMEOUT_MS,
  type OpenClientOptions,
} from './open-client';
export * from './config/types';
export { loadConfig, ConfigError, type ConfigInput } from './config/load';
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
export { scanInputs, type Scan, type ScannedFile, type ScanOptions } from './1-scan/scan';
export { FILE_BYTES_IN_MEMORY } from './3-deidentify/byte-budget';
export { md5OfFile, writeFileAtomically, type WrittenFile } from './3-deidentify/atomic-file';
export { entityAggregates, refreshEntitySummary } from './4-store/entity-summary';
export { imageFieldsReader } from './4-store/image-fields';
export {
  Report,
  JsonReportSink,
  SUCCESS_OUTCOMES,
  summaryLine,
  entryLine,
  type FileOutcome,
  type FileReport,
  type ReportSink,
  type ReportSummary,
  type RunSummary,
  type OutcomeCounts,
} from './5-summarise/report';
