/**
 * The element a decision is about: what selectors match against, and what rules and
 * messages need of it, computed only when asked for.
 */
import type { DicomDataset, DicomElement } from '../dataset';
import type { SelectorTarget } from '../recipe/selectors';
import type { RecipeRule } from '../recipe/types';
import { formatTag } from '../tags';

/** One element (or, for ADD, an element about to be created) under decision. */
export class Subject {
  private value: string | undefined;

  /**
   * @param source the file name, for messages.
   * @param target what selectors see.
   * @param element the element; undefined for an element ADD may create.
   * @param dataset the data set holding (or to hold) it.
   */
  constructor(
    readonly source: string,
    readonly target: SelectorTarget,
    readonly element: DicomElement | undefined,
    readonly dataset: DicomDataset,
  ) {}

  /** The original value as text (empty for an element to be created). */
  get text(): string {
    this.value ??= this.element ? this.dataset.text(this.element) : '';
    return this.value;
  }

  /** `file: Keyword (gggg,eeee)`, and the rule's origin when given, for messages (never the value). */
  describe(rule?: RecipeRule): string {
    const { keyword, tag } = this.target;
    const name = keyword ? `${keyword} ${formatTag(tag)}` : formatTag(tag);
    return rule ? `${this.source}: ${name} (${rule.origin})` : `${this.source}: ${name}`;
  }
}
