/**
 * @packageDocumentation `som serve` as a library: read-only pages, previews and DICOMweb over
 * a Client. They read the study and series summaries of `@som/core` (written by uploads and
 * `som verify --repair`).
 */
export { startServer, type RunningServer } from './server';
export {
  DEFAULT_HOST,
  DEFAULT_PORT,
  isLoopback,
  type PreviewPolicy,
  type ServeOptions,
} from './options';
export { toDicomJson, type DicomJson, type JsonAttribute } from './dicom-json';
