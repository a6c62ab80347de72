/**
 * Look-ups in a DASHER response: the alias of an entity (a patient) and of its items.
 */
import { SomError } from '@som/core';
import { parseDasherResponse } from './response';
import type {
  AliasSource,
  AliasSourceKind,
  DasherRequest,
  DasherResponse,
  DasherResponseItem,
  DasherResponseResult,
} from './types';

/** The aliases of one entity: its suid, jitter in days, jittered timestamp and items. */
export type EntityAlias = Readonly<Omit<DasherResponseResult, 'items'>> & {
  readonly items: readonly Readonly<DasherResponseItem>[];
};

/** The aliases of one item; `jitter` is the item's own, else its entity's. */
export type ItemAlias = Readonly<DasherResponseItem> & { readonly jitter: number };

interface Entry {
  entity: EntityAlias;
  items: Map<string, ItemAlias>;
}

const freezeItem = (item: DasherResponseItem, fallbackJitter: number): ItemAlias =>
  Object.freeze({ ...item, jitter: item.jitter ?? fallbackJitter });

/** An index of a (validated) DASHER response by entity id and item id. */
export class AliasTable {
  readonly #entries = new Map<string, Entry>();

  /** Names the response in NotFound errors (a file path, a URL or a description). */
  readonly source: string;
  /** Where the aliases come from. */
  readonly aliasSource: AliasSourceKind;

  /**
   * @param response the response (a DasherResponse or parsed JSON); it is validated with
   *   {@link parseDasherResponse} (duplicate ids, missing suids, ... throw InvalidArgument).
   * @param source names the response in errors.
   * @param aliasSource where the aliases come from (a response file's are DASHER's).
   */
  constructor(
    response: unknown,
    source = 'DASHER response',
    aliasSource: AliasSourceKind = 'dasher',
  ) {
    this.source = source;
    this.aliasSource = aliasSource;
    for (const result of parseDasherResponse(response, source).results) {
      const items = result.items.map((item) => freezeItem(item, result.jitter));
      const entity: EntityAlias = Object.freeze({ ...result, items: Object.freeze(items) });
      this.#entries.set(result.id, {
        entity,
        items: new Map(items.map((item) => [item.id, item])),
      });
    }
  }

  /** Ask `aliasSource` for the aliases of `request` and index the answer. */
  static async fromSource(aliasSource: AliasSource, request: DasherRequest): Promise<AliasTable> {
    return new AliasTable(
      await aliasSource.aliasesFor(request),
      aliasSource.description,
      aliasSource.kind,
    );
  }

  /** How many entities the table holds. */
  get size(): number {
    return this.#entries.size;
  }

  /** The original ids of every entity, in response order. */
  entityIds(): string[] {
    return [...this.#entries.keys()];
  }

  /** True when the table has an alias for entity `id`. */
  hasEntity(id: string): boolean {
    return this.#entries.has(id);
  }

  /** True when the table has an alias for item `itemId` of entity `entityId`. */
  hasItem(entityId: string, itemId: string): boolean {
    return this.#entries.get(entityId)?.items.has(itemId) ?? false;
  }

  /**
   * The aliases of entity `id` (its result: suid, jitter, jittered_timestamp, items).
   * @throws SomError NotFound naming the source (never the id: it is an original identifier).
   */
  entity(id: string): EntityAlias {
    return this.#entry(id).entity;
  }

  /**
   * The aliases of item `itemId` of entity `entityId`, with the entity's jitter when the
   * item has none of its own.
   * @throws SomError NotFound naming the source (never the ids: they are original identifiers).
   */
  item(entityId: string, itemId: string): ItemAlias {
    const item = this.#entry(entityId).items.get(itemId);
    if (item === undefined) {
      throw new SomError(
        'NotFound',
        `${this.source} has no alias for the item asked of this entity (ids are not shown)`,
      );
    }
    return item;
  }

  /** The table as a DASHER response (items carry their effective jitter). */
  toResponse(): DasherResponse {
    return {
      results: [...this.#entries.values()].map(({ entity }) => ({
        ...entity,
        items: entity.items.map((item) => ({ ...item })),
      })),
    };
  }

  #entry(id: string): Entry {
    const entry = this.#entries.get(id);
    if (entry === undefined) {
      throw new SomError(
        'NotFound',
        `${this.source} has no alias for the entity asked (ids are not shown)`,
      );
    }
    return entry;
  }
}
