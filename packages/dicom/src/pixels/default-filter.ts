/**
 * som's default pixel filter: the criteria of pydicom/deid's shipped recipe (from RSNA MIRC
 * CTP's DicomPixelAnonymizer and deid's contributors), screened as som screens any filter.
 */
import { parseRecipe } from '../recipe/parse';
import type { PixelFilter } from './filter-types';
import { DEFAULT_FILTER_TEXT } from './default-filter.generated';

let parsed: PixelFilter | undefined;

/**
 * The default pixel filter (parsed on first use): deid 0.4.12's `deid.dicom` filter
 * sections. Its whitelist passes files marked `BurnedInAnnotation NO` and a few known-clean
 * scanners; its graylist blanks the known text regions of dose reports, screen captures and
 * ultrasound and PET models, and quarantines the reconstructions and models it names
 * without regions; its blacklist quarantines what is most likely to carry text (secondary
 * captures, `BurnedInAnnotation YES`, screen saves, ...).
 */
export function defaultPixelFilter(): PixelFilter {
  parsed ??= parseRecipe(
    DEFAULT_FILTER_TEXT,
    "som's default pixel filter (deid.dicom)",
  ).pixelFilter;
  if (!parsed) throw new Error('the default pixel filter has no sections');
  return parsed;
}

/** An empty filter: no file is flagged (for `--pixel-filter none`). */
export const NO_PIXEL_FILTER: PixelFilter = { sections: [] };
