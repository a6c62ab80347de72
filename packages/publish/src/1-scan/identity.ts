/**
 * The identifiers of many files, gathered one file at a time (only small strings are
 * kept, never headers), and the DASHER request for them.
 */
import { SomError } from '@som/core';
import { getIdentifiers, toDasherRequest, type DicomHeader, type Identifiers } from '@som/dicom';
import { normaliseDasherRequest, type DasherRequest } from '@som/identifiers';

/** What the aliases of one file are looked up by. */
export interface FileIdentity {
  /** The original PatientID. */
  entityId: string;
  /** The original StudyInstanceUID. */
  itemId: string;
  /** The original SOPInstanceUID (empty when absent). */
  instanceId: string;
}

/** Gathers the identifiers of files one header at a time. */
export class IdentifierCollector {
  private readonly all: Identifiers = { itemLevel: 'study', entities: new Map(), failures: [] };

  /**
   * Add the file of `header`; returns its identity.
   * @throws SomError when the file lacks an identifier (e.g. no PatientID).
   */
  add(source: string, header: DicomHeader): FileIdentity {
    const one = getIdentifiers([{ source, header }], { itemLevel: this.all.itemLevel });
    const failure = one.failures[0];
    if (failure !== undefined) throw failure.error;
    const [entity] = one.entities.values();
    const [item] = entity?.items.values() ?? [];
    if (entity === undefined || item === undefined)
      throw new SomError('Internal', `${source}: no identifiers read`);
    const known = this.all.entities.get(entity.id);
    const knownItem = known?.items.get(item.id);
    // Only an item's first file is kept in its sources (the request needs none): the
    // identifiers of a million files take the memory of their patients and studies.
    if (known === undefined) this.all.entities.set(entity.id, entity);
    else if (knownItem === undefined) known.items.set(item.id, item);
    return {
      entityId: entity.id,
      itemId: item.id,
      instanceId: header.string('SOPInstanceUID')?.trim() ?? '',
    };
  }

  /** One DASHER request body for every file added (the DASHER client splits it into batches). */
  request(): DasherRequest {
    return normaliseDasherRequest({
      identifiers: toDasherRequest(this.all).flatMap((r) => r.identifiers),
    });
  }
}
