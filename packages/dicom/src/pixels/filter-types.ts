/**
 * The structure of pydicom/deid's `%filter` sections: labelled criteria on header values
 * that flag files likely to carry burned-in text, and the regions of the image to blank.
 */
import type { Tag } from '../tags';

/** The tests a criterion can make of one attribute. */
export type FilterTest =
  'contains' | 'notcontains' | 'equals' | 'notequals' | 'missing' | 'present' | 'empty';

/** One test of one attribute, e.g. `contains Modality CT`. */
export interface FilterCondition {
  /** The test. */
  readonly test: FilterTest;
  /** The attribute (top level, or the file meta group for group 0002); undefined for a name no attribute has (always missing, as in deid). */
  readonly tag: Tag | undefined;
  /** The attribute as written in the recipe, for reasons. */
  readonly field: string;
  /** The expression (`contains`: a case-insensitive regular expression; `equals`: text, `|` between alternatives). */
  readonly value?: string;
}

/** A condition joined to the ones before it: `+` is and, `||` is or, evaluated left to right. */
export interface JoinedCondition {
  /** How it joins what comes before (the first one's is ignored). */
  readonly join: 'and' | 'or';
  /** The condition. */
  readonly condition: FilterCondition;
}

/** One line of criteria: conditions joined on the line (a parenthesised group), joined to the lines before. */
export interface FilterClause {
  /** How the line joins the lines before (the first one's is ignored). */
  readonly join: 'and' | 'or';
  /** The conditions of the line. */
  readonly conditions: readonly JoinedCondition[];
}

/** A rectangle `[x0, x1) x [y0, y1)` in pixels, or the whole image, or the regions an attribute lists. */
export type RegionShape =
  | {
      readonly kind: 'rect';
      readonly x0: number;
      readonly y0: number;
      readonly x1: number;
      readonly y1: number;
    }
  | { readonly kind: 'all' }
  /** `from:SequenceOfUltrasoundRegions`: the RegionLocationMin/Max rectangles of the sequence's items. */
  | { readonly kind: 'from'; readonly tag: Tag };

/** A region to blank (`coordinates`) or to keep (`keepcoordinates`), applied in order. */
export interface PixelRegion {
  /** True to keep (a `keepcoordinates` line), false to blank. */
  readonly keep: boolean;
  /** Where. */
  readonly shape: RegionShape;
}

/** One `LABEL` of a filter section. */
export interface FilterLabel {
  /** The label's name (text after LABEL, without comments). */
  readonly name: string;
  /** The criteria; none means the label always matches. */
  readonly clauses: readonly FilterClause[];
  /** The regions of its coordinates lines, in order. */
  readonly regions: readonly PixelRegion[];
  /** Where it was written, e.g. `deid.dicom line 12`. */
  readonly origin: string;
}

/**
 * What a section does to the files it flags: `whitelist` passes them untouched, `blacklist`
 * quarantines them, `graylist` (and any other name) blanks its labels' regions, or
 * quarantines the file when the labels give no region to blank.
 */
export type FilterListKind = 'whitelist' | 'graylist' | 'blacklist';

/** One `%filter <name>` section. */
export interface FilterSection {
  /** The section's name as written. */
  readonly name: string;
  /** What it does (from the name: whitelist, blacklist, graylist/greylist; any other name acts as a graylist). */
  readonly kind: FilterListKind;
  /** The labels, in order. */
  readonly labels: readonly FilterLabel[];
}

/** A pixel filter: the sections, in order (the first section with a matching label decides). */
export interface PixelFilter {
  /** The sections. */
  readonly sections: readonly FilterSection[];
}
