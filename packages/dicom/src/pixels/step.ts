/**
 * The pixel step of de-identification: screen the original header with the pixel filter,
 * quarantine or clean, and put the cleaned pixel data and BurnedInAnnotation into the plan.
 */
import { SomError } from '@som/core';
import type { DicomHeader } from '../header';
import type { ParsedDicom } from '../reader';
import type { ElementPlan } from '../writer';
import type { PixelFilter, PixelRegion } from './filter-types';
import { cleanPixelData, imageGeometry, regionMask } from './clean';
import { QuarantineError } from './quarantine';
import { screenHeader } from './screen';

/** Burned In Annotation (0028,0301). */
const BURNED_IN_ANNOTATION = 0x00280301;

/** What the pixel step did to a written file. */
/**
 * The error of a file whose pixels must be cleaned while they are not in memory (a file
 * de-identified around its pixel data, see `DeidOptions.pixelsElsewhere`).
 */
export class PixelsNeededError extends SomError {
  /** @param source the file name. */
  constructor(source: string) {
    super(
      'FailedPrecondition',
      `${source}: its pixels must be cleaned, which needs them in memory`,
    );
  }
}

export interface PixelCleaning {
  /** The filter section that flagged it (absent when only `redactRegions` were blanked). */
  readonly section?: string;
  /** The labels whose regions were blanked. */
  readonly labels: readonly string[];
  /** Regions were also blanked because the caller asked (e.g. text boxes found by OCR). */
  readonly redacted: boolean;
}

/** The cleaned pixel data of a file, ready to replace the original in the plan. */
export interface PixelStep {
  /** The new pixel data element. */
  readonly plan: ElementPlan;
  /** What was done. */
  readonly cleaning: PixelCleaning;
  /** BurnedInAnnotation becomes NO (a filter's graylist cleaned the file). */
  readonly burnedInAnnotationNo: boolean;
}

/**
 * Screen and clean one file's pixels: undefined when the pixel data stays byte for byte
 * (no filter, not flagged, whitelisted, no pixel data); a {@link QuarantineError} when it
 * must not be written; else the cleaned pixel data. Without `pixelsInMemory` (the pixel data
 * is a stand-in), a file whose pixels would be cleaned is a {@link PixelsNeededError}.
 */
export function pixelStep(
  parsed: ParsedDicom,
  header: DicomHeader,
  filter: PixelFilter | undefined,
  redactRegions: readonly PixelRegion[] = [],
  pixelsInMemory = true,
): PixelStep | undefined {
  const { source, dataset } = parsed;
  const verdict = filter ? screenHeader(filter, header) : { kind: 'pass' as const };
  if (verdict.kind === 'quarantine') {
    throw new QuarantineError(source, {
      reason:
        filter?.sections.find((s) => s.name === verdict.section)?.kind === 'blacklist'
          ? 'blacklisted'
          : 'needs-review',
      section: verdict.section,
      label: verdict.label,
      detail: verdict.detail,
    });
  }
  const regions = verdict.kind === 'clean' ? [...verdict.regions, ...redactRegions] : redactRegions;
  if (regions.length === 0) return undefined;
  const geometry = imageGeometry(dataset, source);
  if (!geometry) return undefined;
  const mask = regionMask(regions, dataset, geometry.rows, geometry.columns);
  if (!mask) {
    if (verdict.kind !== 'clean') return undefined;
    throw new QuarantineError(source, {
      reason: 'needs-review',
      section: verdict.section,
      label: verdict.labels[0],
      detail: `flagged by the pixel filter's ${verdict.section}, label "${verdict.labels[0] ?? ''}", whose regions blank nothing in this image: the pixels need a review`,
    });
  }
  if (!pixelsInMemory) throw new PixelsNeededError(source);
  const plan = cleanPixelData(geometry, mask, dataset, parsed.transferSyntax.uid, source);
  return {
    plan,
    cleaning: {
      ...(verdict.kind === 'clean'
        ? { section: verdict.section, labels: verdict.labels }
        : { labels: [] }),
      redacted: redactRegions.length > 0,
    },
    burnedInAnnotationNo: verdict.kind === 'clean',
  };
}

/** Put the step into the top-level plans: the new pixel data, and BurnedInAnnotation NO when due. */
export function applyPixelStep(plans: ElementPlan[], step: PixelStep): void {
  const tagOf = (p: ElementPlan): number =>
    p.op === 'copy' || p.op === 'sequence' ? p.element.tag : p.tag;
  const replace = (plan: ElementPlan): void => {
    const tag = tagOf(plan);
    const at = plans.findIndex((p) => tagOf(p) >= tag);
    if (at >= 0 && tagOf(plans[at] as ElementPlan) === tag) plans[at] = plan;
    else plans.splice(at < 0 ? plans.length : at, 0, plan);
  };
  replace(step.plan);
  if (step.burnedInAnnotationNo)
    replace({ op: 'value', tag: BURNED_IN_ANNOTATION, vr: 'CS', value: Buffer.from('NO') });
}
