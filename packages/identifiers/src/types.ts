/**
 * The DASHER honest-broker request and response shapes. Every alias source (a DASHER
 * response file, the DASHER service, the local pseudonymiser) answers in the response shape.
 */

/** Free-form extra fields DASHER carries with an identifier. */
export type CustomFields = Record<string, string>;

/** One item (a study or an image) of an entity in a DASHER request. */
export interface DasherRequestItem {
  /** The original identifier of the item, e.g. a StudyInstanceUID or an AccessionNumber. */
  id: string;
  /** What kind of identifier `id` is, e.g. `DICOM StudyInstanceUID`. */
  id_source: string;
  /** An original timestamp of the item (ISO 8601), e.g. the study date and time. */
  id_timestamp?: string;
  /** Extra fields. */
  custom_fields?: CustomFields;
}

/** One entity (a patient) in a DASHER request. */
export interface DasherRequestIdentifier extends DasherRequestItem {
  /** The entity's items (at most 1,000 per entity per request). */
  items: DasherRequestItem[];
}

/** The body of a DASHER `POST /identifiers/api/v1/uid/<study>` request. */
export interface DasherRequest {
  identifiers: DasherRequestIdentifier[];
}

/** The aliases of one item in a DASHER response. */
export interface DasherResponseItem {
  /** The original identifier, as in the request. */
  id: string;
  /** As in the request. */
  id_source: string;
  /** The alias ("study uid") of the item. */
  suid: string;
  /** Days by which the item's dates are shifted (a whole number, may be negative). */
  jitter?: number;
  /** The item's timestamp after jitter. */
  jittered_timestamp?: string;
}

/** The aliases of one entity in a DASHER response. */
export interface DasherResponseResult extends DasherResponseItem {
  /** Days by which all of the entity's dates are shifted. */
  jitter: number;
  /** Aliases of the entity's items. */
  items: DasherResponseItem[];
}

/** A DASHER response: one result per requested entity. */
export interface DasherResponse {
  results: DasherResponseResult[];
}

/**
 * Where aliases come from: `dasher` (the DASHER service or a response file from it) or
 * `local` (the local pseudonymiser, keyed).
 */
export type AliasSourceKind = 'dasher' | 'local';

/** Anything that turns a DASHER request into a DASHER response. */
export interface AliasSource {
  /** A short description for logs (never a secret). */
  readonly description: string;
  /** What kind of source it is. */
  readonly kind: AliasSourceKind;
  /** The aliases for every identifier and item of `request`. */
  aliasesFor(request: DasherRequest): Promise<DasherResponse>;
}
