/**
 * The attributes of an object, kept beside its data file in a small JSON "sidecar"
 * (`.<name>.obj.json`). The sidecar records the data file it describes (inode, size and
 * mtime, which rename and link keep): when they differ from the file at the key, the
 * sidecar is stale (a crash between the two renames of a put, or a restore from a backup)
 * and the driver repairs it before answering.
 */
import type { BigIntStats } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { ObjectAttributes, ObjectMetadata } from '@som/core';
import { nativeCode } from './errors';

/** Which data file a sidecar describes. */
export interface FileIdentity {
  /** Inode number, as a decimal string. */
  ino: string;
  /** Size in bytes. */
  size: number;
  /** Modification time in nanoseconds since the epoch, as a decimal string. */
  mtimeNs: string;
}

/** What a sidecar holds (format version 1). */
export interface Sidecar {
  version: 1;
  /** The object's key. */
  key: string;
  /** Size in bytes. */
  size: number;
  /** MD5 of the content, lowercase hex. */
  md5: string;
  /** Content type given at upload. */
  contentType: string;
  /** User metadata given at upload. */
  metadata: ObjectMetadata;
  /** The data file described. */
  file: FileIdentity;
}

/** The identity of the data file whose status is `stats`. */
export function identityOf(stats: BigIntStats): FileIdentity {
  return { ino: stats.ino.toString(), size: Number(stats.size), mtimeNs: stats.mtimeNs.toString() };
}

/** True when `sidecar` describes the data file whose status is `stats`. */
export function describes(sidecar: Sidecar, stats: BigIntStats): boolean {
  const file = identityOf(stats);
  return (
    sidecar.file.ino === file.ino &&
    sidecar.file.size === file.size &&
    sidecar.file.mtimeNs === file.mtimeNs
  );
}

function isStringRecord(value: unknown): value is Record<string, string> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((v) => typeof v === 'string')
  );
}

/** `value` as a sidecar of `key`, or undefined when it is not one. */
function asSidecar(value: unknown, key: string): Sidecar | undefined {
  const s = value as Partial<Sidecar> | null;
  const file = s?.file as Partial<FileIdentity> | undefined;
  const valid =
    s?.version === 1 &&
    s.key === key &&
    Number.isSafeInteger(s.size) &&
    typeof s.md5 === 'string' &&
    /^[0-9a-f]{32}$/.test(s.md5) &&
    typeof s.contentType === 'string' &&
    isStringRecord(s.metadata) &&
    typeof file?.ino === 'string' &&
    typeof file.mtimeNs === 'string' &&
    Number.isSafeInteger(file.size);
  return valid ? (s as Sidecar) : undefined;
}

/** The sidecar at `path` for `key`; undefined when absent, unreadable as JSON, or not for `key`. */
export async function readSidecar(path: string, key: string): Promise<Sidecar | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (nativeCode(err) === 'ENOENT') return undefined;
    throw err;
  }
  try {
    return asSidecar(JSON.parse(text), key);
  } catch {
    return undefined; // a torn or foreign file: treated as no sidecar, and rewritten
  }
}

/** The object attributes a sidecar gives, with `updated` from the data file's mtime. */
export function attributesOf(sidecar: Sidecar, stats: BigIntStats): ObjectAttributes {
  return {
    key: sidecar.key,
    size: sidecar.size,
    md5: sidecar.md5,
    contentType: sidecar.contentType,
    metadata: { ...sidecar.metadata },
    updated: new Date(Number(stats.mtimeNs / 1_000_000n)),
  };
}
