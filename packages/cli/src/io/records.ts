/**
 * Printing records: one line each, or (`--json`) a JSON array of records, each with its
 * `uid` and fields, streamed as the records arrive.
 */
import { recordJson, type ModelRecord, type RecordData } from '@som/core';
import type { Output } from './output';

function show(value: RecordData[string]): string {
  if (Array.isArray(value)) return value.join(',');
  if (typeof value === 'object' && value !== null) return JSON.stringify(value);
  return String(value);
}

/** Fields that say most about a record of each kind, shown after its uid. */
const SUMMARY_FIELDS: Readonly<Record<string, readonly string[]>> = {
  Collection: [],
  Entity: ['Modalities', 'NumberOfStudies', 'NumberOfImages'],
  Image: ['Modality', 'StudyDate', 'SeriesDescription', 'size'],
};

/** One line for a record: its uid, then `Field=value` for its summary fields. */
export function recordLine(record: ModelRecord): string {
  const fields = (SUMMARY_FIELDS[record.kind] ?? []).filter(
    (name) => record.data[name] !== undefined,
  );
  return [
    record.uid,
    ...fields.map((name) => `${name}=${show(record.data[name] as RecordData[string])}`),
  ].join('  ');
}

/** Print every record of `records` as lines or as one JSON array; returns how many there were. */
export async function printRecords(
  output: Output,
  records: AsyncIterable<ModelRecord>,
  json: boolean,
): Promise<number> {
  let count = 0;
  for await (const record of records) {
    if (json) output.stdout.write(count === 0 ? '[\n' : ',\n');
    if (json) output.stdout.write(output.secrets.redact(JSON.stringify(recordJson(record))));
    else output.line(recordLine(record));
    count++;
  }
  if (json) output.stdout.write(count === 0 ? '[]\n' : '\n]\n');
  return count;
}
