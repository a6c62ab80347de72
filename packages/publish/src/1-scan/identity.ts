/**
 * The identifiers of many files, gathered one file at a time (only small strings are
 * kept, never headers), and the DASHER request for them.
 */
import { fileIdentifiersOf, type DicomHeader } from '@som/dicom';
import {
  DasherRequestBuilder,
  type DasherRequest,
  type DasherRequestBuilderOptions,
  type FileKeys,
} from '@som/identifiers';

/** Gathers the identifiers of files one header at a time. */
export class IdentifierCollector {
  readonly #builder: DasherRequestBuilder;

  /**
   * @param options what the request's items are and the `id_source` strings it sends.
   * @throws SomError InvalidArgument for an unknown item level or a bad `id_source`.
   */
  constructor(options: DasherRequestBuilderOptions = {}) {
    this.#builder = new DasherRequestBuilder(options);
  }

  /**
   * Add the file of `header`; returns what its aliases are looked up by.
   * @throws SomError when the file lacks an identifier (e.g. no PatientID).
   */
  add(header: DicomHeader): FileKeys {
    const ids = fileIdentifiersOf(header);
    this.#builder.add(ids);
    const { entityId, accessionNumber, studyInstanceUid, sopInstanceUid } = ids;
    return {
      entityId,
      ...(accessionNumber !== undefined ? { accessionNumber } : {}),
      ...(studyInstanceUid !== undefined ? { studyInstanceUid } : {}),
      ...(sopInstanceUid !== undefined ? { sopInstanceUid } : {}),
    };
  }

  /** One DASHER request body for every file added (the DASHER client splits it into batches). */
  request(): DasherRequest {
    return this.#builder.request();
  }
}
