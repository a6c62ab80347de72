/**
 * The element a decision is about: what selectors match against, and what rules and
 * messages need of it, computed only when asked for.
 */
import type { DicomDataset, DicomElement } from '../dataset';
import { keywordOf } from '../dictionary';
import type { SelectorTarget } from '../recipe/selectors';
import type { RecipeField, RecipeRule } from '../recipe/types';
import { formatTag, type Tag } from '../tags';

/** A sequence holding an element, and the index of the item the element is in. */
export interface Ancestor {
  /** The sequence's tag. */
  readonly tag: Tag;
  /** The item's index in the sequence. */
  readonly item: number;
}

const TOP_LEVEL: readonly Ancestor[] = [];

/** One element (or, for ADD, an element about to be created) under decision. */
export class Subject {
  private value: string | undefined;
  private named: RecipeField | undefined;

  /**
   * @param source the file name, for messages.
   * @param target what selectors see.
   * @param element the element; undefined for an element ADD may create.
   * @param dataset the data set holding (or to hold) it.
   * @param ancestors the sequences holding it, outermost first.
   */
  constructor(
    readonly source: string,
    readonly target: SelectorTarget,
    readonly element: DicomElement | undefined,
    readonly dataset: DicomDataset,
    readonly ancestors: readonly Ancestor[] = TOP_LEVEL,
  ) {}

  /** The current value as text: the original (empty for an element to be created) until {@link setText}. */
  get text(): string {
    this.value ??= this.element ? this.dataset.text(this.element) : '';
    return this.value;
  }

  /** Set the value later rules see (a recipe applied in file order works on the current value). */
  setText(text: string): void {
    this.value = text;
  }

  /** The element as deid names it (nested name and uid). */
  get field(): RecipeField {
    if (!this.named) {
      const { tag, keyword, vr } = this.target;
      const nameOf = (t: Tag): string => keywordOf(t) ?? formatTag(t);
      this.named = {
        name: [...this.ancestors.map((a) => nameOf(a.tag)), nameOf(tag)].join('__'),
        uid: [
          ...this.ancestors.flatMap((a) => [formatTag(a.tag), String(a.item)]),
          formatTag(tag),
        ].join('__'),
        tag,
        keyword,
        vr,
      };
    }
    return this.named;
  }

  /** `file: Keyword (gggg,eeee)`, and the rule's origin when given, for messages (never the value). */
  describe(rule?: RecipeRule): string {
    const { keyword, tag } = this.target;
    const name = keyword ? `${keyword} ${formatTag(tag)}` : formatTag(tag);
    return rule ? `${this.source}: ${name} (${rule.origin})` : `${this.source}: ${name}`;
  }
}
