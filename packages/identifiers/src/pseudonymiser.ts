/**
 * The local pseudonymiser: DASHER-shaped aliases computed from a secret key, for work
 * without the DASHER service. Same key, same aliases, in every run and on every machine.
 */
import { inspect } from 'node:util';
import { SomError } from '@som/core';
import { keyedDigest, type PseudonymKey } from './keyed';
import { normaliseDasherRequest } from './request';
import { MAX_JITTER_DAYS, parseDasherResponse } from './response';
import { SecretKey } from './secret';
import { isIsoTimestamp, shiftTimestamp } from './timestamp';
import type {
  AliasSource,
  DasherRequest,
  DasherResponse,
  DasherResponseItem,
  DasherResponseResult,
} from './types';

/** A range of whole days, both ends included. */
export interface JitterRange {
  /** The smallest shift in days. */
  min: number;
  /** The largest shift in days. */
  max: number;
}

/**
 * The default date shift: 1 to 365 days into the past. Never 0 (an unshifted date is
 * an original date) and never forward, so a past date never lands in the future.
 */
export const DEFAULT_JITTER_DAYS: Readonly<JitterRange> = Object.freeze({ min: -365, max: -1 });

/**
 * Characters of an alias (after the prefix): 16 Crockford base32 characters = 80 bits of
 * HMAC-SHA256. For 10^7 patients the chance that any two share an alias is about
 * n^2 / 2^81 = 4e-11.
 */
export const ALIAS_LENGTH = 16;

/** Crockford's base32 alphabet, lower case: no i, l, o, u to misread. */
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

const PREFIX_PATTERN = /^[A-Za-z0-9._-]{0,64}$/;

/** Options of {@link LocalPseudonymiser}. */
export interface LocalPseudonymiserOptions {
  /** The secret key (see {@link loadOrCreateKey} and {@link SecretKey.from}). */
  key: PseudonymKey;
  /** The range of date shifts in days; default {@link DEFAULT_JITTER_DAYS}. 0 is never chosen. */
  jitterDays?: JitterRange;
  /** Put before every alias, e.g. `som-`; up to 64 of `[A-Za-z0-9._-]`; default none. */
  aliasPrefix?: string;
}

/** `ALIAS_LENGTH` base32 characters from the first bits of `digest`. */
function base32(digest: Buffer): string {
  let bits = 0n;
  for (const byte of digest.subarray(0, 10)) bits = (bits << 8n) | BigInt(byte);
  let out = '';
  for (let i = ALIAS_LENGTH - 1; i >= 0; i -= 1)
    out += ALPHABET[Number((bits >> BigInt(i * 5)) & 31n)];
  return out;
}

function checkJitterRange(range: JitterRange): Readonly<JitterRange> {
  const { min, max } = range;
  const problem =
    !Number.isInteger(min) || !Number.isInteger(max)
      ? 'min and max must be whole numbers of days'
      : min > max
        ? 'min is greater than max'
        : min === 0 && max === 0
          ? 'the range holds only 0, and a jitter of 0 leaves dates unshifted'
          : Math.max(Math.abs(min), Math.abs(max)) > MAX_JITTER_DAYS
            ? `shifts are limited to ${MAX_JITTER_DAYS} days either way`
            : undefined;
  if (problem !== undefined) {
    throw new SomError(
      'InvalidArgument',
      `invalid jitter range ${JSON.stringify({ min, max })}: ${problem}`,
    );
  }
  return Object.freeze({ min, max });
}

/**
 * An {@link AliasSource} that needs no service: every alias is a keyed HMAC-SHA256 of the
 * original id (entity aliases of the entity id, item aliases of the item id scoped by its
 * entity), so the same key always gives the same aliases and different keys unrelated ones.
 * Each entity gets one jitter, derived from the key and its id, within the configured range
 * and never 0; its items share it. The key is held privately and never shown.
 */
export class LocalPseudonymiser implements AliasSource {
  readonly #key: SecretKey;

  /** `local pseudonymiser (key <fingerprint>)`: safe to log. */
  readonly description: string;
  /** Always `local`. */
  readonly kind = 'local';
  /** The range of date shifts in days. */
  readonly jitterDays: Readonly<JitterRange>;
  /** What every alias starts with. */
  readonly aliasPrefix: string;

  /**
   * @throws SomError InvalidArgument for an empty key, a bad jitter range or prefix.
   */
  constructor(options: LocalPseudonymiserOptions) {
    this.#key = SecretKey.from(options.key);
    this.jitterDays = checkJitterRange(options.jitterDays ?? DEFAULT_JITTER_DAYS);
    const prefix = options.aliasPrefix ?? '';
    if (!PREFIX_PATTERN.test(prefix)) {
      throw new SomError(
        'InvalidArgument',
        `invalid alias prefix ${JSON.stringify(prefix)}: use up to 64 of A-Z a-z 0-9 . _ -`,
      );
    }
    this.aliasPrefix = prefix;
    this.description = `local pseudonymiser (key ${this.#key.fingerprint})`;
  }

  /** The alias of entity (patient) `id`. */
  entityAlias(id: string): string {
    return this.aliasPrefix + base32(keyedDigest(this.#key, 'som/entity-alias', id));
  }

  /** The alias of item `itemId` of entity `entityId` (the same item id under another entity gets another alias). */
  itemAlias(entityId: string, itemId: string): string {
    const scoped = `${entityId.length}:${entityId}\0${itemId}`;
    return this.aliasPrefix + base32(keyedDigest(this.#key, 'som/item-alias', scoped));
  }

  /** The date shift in days of entity `id`: in {@link jitterDays}, never 0. */
  jitterFor(id: string): number {
    const { min, max } = this.jitterDays;
    const spansZero = min <= 0 && max >= 0;
    const choices = BigInt(max - min + 1 - (spansZero ? 1 : 0));
    const digest = keyedDigest(this.#key, 'som/jitter', id);
    // 64 bits reduced modulo at most 73,051 choices: the bias is below 1e-14.
    const value = min + Number(digest.readBigUInt64BE(0) % choices);
    return spansZero && value >= 0 ? value + 1 : value;
  }

  /**
   * The aliases of every entity and item of `request`, in DASHER's response shape
   * (duplicate entities and items are answered once). `jittered_timestamp` is present
   * where the request has an `id_timestamp`.
   * @throws SomError InvalidArgument for a malformed request or an unparseable `id_timestamp`.
   */
  async aliasesFor(request: DasherRequest): Promise<DasherResponse> {
    return this.aliasesForSync(request);
  }

  /** {@link aliasesFor}, synchronously. */
  aliasesForSync(request: DasherRequest): DasherResponse {
    const normalised = normaliseDasherRequest(request);
    const owners = new Map<string, string>();
    // Identifiers and items are named by their positions in the request: ids are original
    // identifiers (PatientIDs, accession numbers), never shown.
    const results = normalised.identifiers.map((identifier, index): DasherResponseResult => {
      const where = `identifier ${index}`;
      const jitter = this.jitterFor(identifier.id);
      const suid = this.#unique(owners, this.entityAlias(identifier.id), identifier.id, where);
      const itemOwners = new Map<string, string>();
      const items = identifier.items.map((item, i): DasherResponseItem => {
        const itemWhere = `${where} item ${i}`;
        const itemAlias = this.itemAlias(identifier.id, item.id);
        const itemSuid = this.#unique(itemOwners, itemAlias, item.id, itemWhere);
        return withTimestamp(
          { id: item.id, id_source: item.id_source, suid: itemSuid, jitter },
          item.id_timestamp,
          itemWhere,
        );
      });
      const result = withTimestamp(
        { id: identifier.id, id_source: identifier.id_source, suid, jitter },
        identifier.id_timestamp,
        where,
      );
      return { ...result, jitter, items };
    });
    return parseDasherResponse({ results }, this.description, normalised);
  }

  /** `description`: never the key. */
  toString(): string {
    return this.description;
  }

  /** What `JSON.stringify` writes: the public settings, never the key. */
  toJSON(): { description: string; jitterDays: JitterRange; aliasPrefix: string } {
    return {
      description: this.description,
      jitterDays: { ...this.jitterDays },
      aliasPrefix: this.aliasPrefix,
    };
  }

  /** What `util.inspect` shows: the public settings, never the key. */
  [inspect.custom](): string {
    return `LocalPseudonymiser ${JSON.stringify(this.toJSON())}`;
  }

  /** Fail closed on an alias collision (about 4e-11 for 10^7 ids): two ids must never merge. */
  #unique(owners: Map<string, string>, alias: string, id: string, where: string): string {
    const owner = owners.get(alias);
    if (owner !== undefined && owner !== id) {
      throw new SomError(
        'Internal',
        `alias collision: ${where} of the request has the alias of an earlier id; use another key`,
      );
    }
    owners.set(alias, id);
    return alias;
  }
}

/** `item` with its jittered timestamp; `where` names it in errors (never its id or timestamp). */
function withTimestamp(
  item: DasherResponseItem,
  idTimestamp: string | undefined,
  where: string,
): DasherResponseItem {
  if (idTimestamp === undefined || item.jitter === undefined) return item;
  try {
    // Answers carry ISO 8601 timestamps only: DICOM's forms would reach DA/TM elements unconverted.
    if (!isIsoTimestamp(idTimestamp.trim())) {
      throw new SomError('InvalidArgument', 'not an ISO 8601 date or date-time');
    }
    return { ...item, jittered_timestamp: shiftTimestamp(idTimestamp.trim(), item.jitter) };
  } catch (err) {
    throw new SomError(
      'InvalidArgument',
      `the id_timestamp of ${where} of the request: ${(err as Error).message}`,
      { cause: err },
    );
  }
}
