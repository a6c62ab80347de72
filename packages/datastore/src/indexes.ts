/**
 * The composite indexes (`index.yaml`) Datastore needs for som's searches. Queries by kind,
 * by ancestor with equality filters only, and with a range or an order on one property and
 * nothing else are served by Datastore's built-in indexes. Composite indexes are needed for:
 * - an ancestor (a collection or entity) with a range or an order on field F:
 *   `{ancestor: yes, properties: [F]}`;
 * - equality on field E with a range or an order on field F (with or without an ancestor):
 *   `{properties: [E, F]}`. Datastore merges these for several equality fields.
 * Deploy with `gcloud datastore indexes create index.yaml`.
 */
import { SomError, FIELD_NAME, SEARCHABLE_IMAGE_FIELDS } from '@som/core';

/** Most composite indexes a Datastore database may have. */
export const MAX_COMPOSITE_INDEXES = 200;

/** The searchable DICOM fields of image records, for a default plan. */
export const DEFAULT_SEARCHABLE_FIELDS = SEARCHABLE_IMAGE_FIELDS;

/** One property of a composite index. */
export interface IndexProperty {
  name: string;
  direction: 'asc' | 'desc';
}

/** One composite index, as in `index.yaml`. */
export interface CompositeIndex {
  kind: string;
  ancestor: boolean;
  properties: IndexProperty[];
}

/** Which searches to index. */
export interface IndexPlan {
  /** Fields searched with ranges or orders (and equality beside them). */
  fields: readonly string[];
  /** Kinds searched (default `['Image']`). */
  kinds?: readonly string[];
  /** Also index descending orders (default false: ranges and ascending orders only). */
  descending?: boolean;
  /** Index equality on one field beside a range or order on another (default true). */
  pairs?: boolean;
}

/** The composite indexes of `plan`; InvalidArgument for a bad field or more than Datastore allows. */
export function compositeIndexes(plan: IndexPlan): CompositeIndex[] {
  const fields = [...new Set(plan.fields)];
  for (const field of fields) {
    if (!FIELD_NAME.test(field))
      throw new SomError('InvalidArgument', `invalid searchable field ${JSON.stringify(field)}`);
  }
  const directions: IndexProperty['direction'][] = plan.descending ? ['asc', 'desc'] : ['asc'];
  const indexes: CompositeIndex[] = [];
  for (const kind of plan.kinds ?? ['Image']) {
    for (const field of fields) {
      for (const direction of directions)
        indexes.push({ kind, ancestor: true, properties: [{ name: field, direction }] });
    }
    if (plan.pairs === false) continue;
    for (const equal of fields) {
      for (const ranged of fields) {
        if (equal === ranged) continue;
        for (const ancestor of [false, true]) {
          for (const direction of directions) {
            indexes.push({
              kind,
              ancestor,
              properties: [
                { name: equal, direction: 'asc' },
                { name: ranged, direction },
              ],
            });
          }
        }
      }
    }
  }
  if (indexes.length > MAX_COMPOSITE_INDEXES) {
    throw new SomError(
      'InvalidArgument',
      `${indexes.length} composite indexes for ${fields.length} fields exceed Datastore's ${MAX_COMPOSITE_INDEXES}: name fewer fields, or drop pairs or descending orders`,
    );
  }
  return indexes;
}

/** `index.yaml` text of `indexes`. */
export function indexYaml(indexes: readonly CompositeIndex[]): string {
  const lines = [
    "# Composite indexes of som's searches: gcloud datastore indexes create index.yaml",
    'indexes:',
  ];
  for (const index of indexes) {
    lines.push(
      `- kind: ${index.kind}`,
      `  ancestor: ${index.ancestor ? 'yes' : 'no'}`,
      '  properties:',
    );
    for (const property of index.properties) {
      lines.push(`  - name: ${property.name}`);
      if (property.direction === 'desc') lines.push('    direction: desc');
    }
  }
  return `${lines.join('\n')}\n`;
}
