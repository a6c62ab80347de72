/**
 * The identifiers of many files, gathered one file at a time (only small strings are
 * kept, never headers), and the DASHER request for them.
 */
import { SomError } from '@som/core';
import { fileIdentifiersOf, fileKeysOf, type DicomHeader } from '@som/dicom';
import {
  DasherRequestBuilder,
  type DasherRequest,
  type DasherRequestBuilderOptions,
  type FileKeys,
} from '@som/identifiers';

/** `keys` without the ones the file lacks. */
function presentKeys(keys: FileKeys): FileKeys {
  const { entityId, accessionNumber, studyInstanceUid, sopInstanceUid } = keys;
  return {
    entityId,
    ...(accessionNumber !== undefined ? { accessionNumber } : {}),
    ...(studyInstanceUid !== undefined ? { studyInstanceUid } : {}),
    ...(sopInstanceUid !== undefined ? { sopInstanceUid } : {}),
  };
}

/**
 * What a collector gathers: the DASHER request for every file, or only each file's keys
 * (when the aliases are made locally: a fifth of what the request's timestamps and fields
 * cost to read).
 */
export type Gathered = 'request' | 'keys';

/** Gathers the identifiers of files one header at a time. */
export class IdentifierCollector {
  readonly #builder: DasherRequestBuilder;

  /**
   * @param options what the request's items are and the `id_source` strings it sends
   *   (checked even when only keys are gathered).
   * @param gathers the request (default) or only the keys.
   * @throws SomError InvalidArgument for an unknown item level or a bad `id_source`.
   */
  constructor(
    options: DasherRequestBuilderOptions = {},
    private readonly gathers: Gathered = 'request',
  ) {
    this.#builder = new DasherRequestBuilder(options);
  }

  /**
   * Add the file of `header`; returns what its aliases are looked up by.
   * @throws SomError when the file lacks an identifier (e.g. no PatientID).
   */
  add(header: DicomHeader): FileKeys {
    if (this.gathers === 'keys') return presentKeys(fileKeysOf(header));
    const ids = fileIdentifiersOf(header);
    this.#builder.add(ids);
    return presentKeys(ids);
  }

  /**
   * One DASHER request body for every file added (the DASHER client splits it into batches).
   * @throws SomError Internal when only keys were gathered.
   */
  request(): DasherRequest {
    if (this.gathers === 'keys')
      throw new SomError('Internal', 'no DASHER request was gathered: only the keys were read');
    return this.#builder.request();
  }
}
