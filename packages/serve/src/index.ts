/** @packageDocumentation `som serve` as a library: read-only pages, previews and DICOMweb over a Client, and the study and series summaries they read. */
export { startServer, type RunningServer } from './server';
export {
  DEFAULT_HOST,
  DEFAULT_PORT,
  isLoopback,
  type PreviewPolicy,
  type ServeOptions,
} from './options';
export {
  refreshStudySeriesSummaries,
  summarizeImages,
  SERIES_KIND,
  STUDY_KIND,
  type EntitySummaries,
  type SummaryRefresh,
} from './summaries';
export { toDicomJson, type DicomJson, type JsonAttribute } from './dicom-json';
