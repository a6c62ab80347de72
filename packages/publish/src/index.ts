/**
 * @packageDocumentation Publishing DICOM folders as a library: `openClient()` from
 * `som.config.json` / `SOM_*`, `publish(paths, options)` (what `som upload` does) and
 * `deidentifyTree(paths, { out })` (what `som deid` does). The stages, in order: scan ->
 * aliases -> de-identify -> store -> summarise. Distributed runs: `planRun` once,
 * `runShard` per task of an engine's array job, `finalizePlan` after.
 */
export { publish, type PublishOptions } from './publish';
export { deidentifyTree, type DeidentifyTreeOptions } from './deidentify-tree';
export type { RunOptions } from './run-options';
export { removeFromDataset, type Removal, type RemoveOptions, type RemoveTarget } from './remove';
export {
  PIXEL_FILTER_CHOICES,
  PIXEL_TEXT_MODES,
  type PixelFilterChoice,
  type PixelTextMode,
} from './3-deidentify/settings';
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
export { ADAPTERS, findAdapter, adapterTypes } from './adapters';
export {
  walkInputs,
  type InputFile,
  type InputProblem,
  type WalkEntry,
  type WalkOptions,
} from './1-scan/walk';
export { scanInputs, type Scan, type ScannedFile, type ScanOptions } from './1-scan/scan';
export { FILE_BYTES_IN_MEMORY } from './3-deidentify/byte-budget';
export { writeFileAtomically, type WrittenFile } from './3-deidentify/atomic-file';
export { entityAggregates, refreshEntitySummary } from './4-store/entity-summary';
export { imageFieldsReader } from './4-store/image-fields';
export {
  DEID_REPORT_NAME,
  Report,
  JsonReportSink,
  SUCCESS_OUTCOMES,
  SKIPPED_OUTCOMES,
  summaryLine,
  entryLine,
  type FileOutcome,
  type FileReport,
  type ReportOptions,
  type ReportSink,
  type ReportedFile,
  type ReportSummary,
  type RunSummary,
  type OutcomeCounts,
  type RecipeFindings,
} from './5-summarise/report';
export { planRun, MAX_SHARDS, type PlanOptions, type PlanResult } from './scale-out/plan';
export {
  checkShard,
  runShard,
  readPlan,
  mayPassOnRetry,
  type ShardCheck,
  type ShardOptions,
  type ShardResult,
} from './scale-out/shard';
export {
  finalizePlan,
  type FinalizeOptions,
  type FinalizeResult,
  type ShardReportSummary,
} from './scale-out/finalize';
export {
  ENGINES,
  resolveShard,
  type EngineVariables,
  type ShardChoice,
} from './scale-out/shard-index';
export {
  assignShards,
  type PatientTotals,
  type ShardAssignment,
  type ShardTotals,
} from './scale-out/assign';
export {
  PLAN_FORMAT,
  PlanDirectory,
  parsePlan,
  readShardFile,
  type Plan,
  type PlannedFile,
} from './scale-out/plan-files';
export {
  contentDigest,
  runSettings,
  settingsDifferences,
  type RunSettings,
  type SettingsSource,
} from './scale-out/settings';
