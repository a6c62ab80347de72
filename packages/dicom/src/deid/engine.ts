/**
 * The recipe engine: decides, for every element at every depth, what the recipe does to it
 * (the first layer with an applicable rule, the rule of highest precedence), and turns the
 * decisions into a write plan. Anything it cannot do with certainty is a SomError: the
 * file is not written.
 */
import { SomError } from '@som/core';
import { type DicomDataset, type DicomElement, effectiveVr } from '../dataset';
import { lookupTag, tagOfKeyword } from '../dictionary';
import { type CompiledRecipe, rulesFor } from '../recipe/compile';
import type { SelectorTarget } from '../recipe/selectors';
import type { RecipeRule } from '../recipe/types';
import {
  isGroupLengthTag,
  isPrivateCreatorTag,
  isPrivateTag,
  type Tag,
  tagGroup,
  Tags,
} from '../tags';
import type { ElementPlan, ItemPlan } from '../writer';
import { type Decision, REMOVE, RuleApplier, type RuleContext } from './apply';
import { encodeValue } from './encode';
import { Subject } from './subject';

/** Elements the recipe never touches: the image itself (deid's protected fields). */
const PROTECTED = new Set<Tag>([Tags.PixelData, 0x7fe00008, 0x7fe00009]);

/** Length to End (0008,0001): a length the writer cannot keep true, always dropped like group lengths. */
const LENGTH_TO_END = 0x00080001;

/** Everything the engine needs besides the recipe. */
export interface EngineContext extends RuleContext {
  /** The file name, for messages. */
  readonly source: string;
}

/** The top-level values of SOP Class and Instance UID in the output, for the file meta group. */
export interface PlannedIdentity {
  /** SOP Class UID as written, if the output has it. */
  sopClassUid?: string;
  /** SOP Instance UID as written, if the output has it. */
  sopInstanceUid?: string;
}

/** Applies a compiled recipe to one file. */
export class Engine {
  /** The output values of the top-level SOP UIDs. */
  readonly planned: PlannedIdentity = {};
  private readonly rules: RuleApplier;

  constructor(
    private readonly recipe: CompiledRecipe,
    private readonly context: EngineContext,
  ) {
    this.rules = new RuleApplier(context);
  }

  /** The plan of the top-level data set, with the recipe's ADD elements created. */
  planTopLevel(dataset: DicomDataset): ElementPlan[] {
    const { plans } = this.planDataset(dataset, 0);
    for (const { tag, rule } of this.recipe.additions) {
      if (dataset.get(tag)) continue;
      const plan = this.planAddition(tag, rule, dataset);
      if (!plan) continue;
      const at = plans.findIndex((p) => planTag(p) > tag);
      plans.splice(at < 0 ? plans.length : at, 0, plan);
    }
    return plans;
  }

  private planDataset(
    dataset: DicomDataset,
    depth: number,
  ): { plans: ElementPlan[]; changed: boolean } {
    const plans: ElementPlan[] = [];
    let changed = false;
    for (const element of dataset.elements) {
      const plan = this.planElement(element, dataset, depth);
      if (!plan || plan.op !== 'copy' || plan.element !== element) changed = true;
      if (plan) plans.push(plan);
    }
    const pruned = dropOrphanCreators(plans);
    return { plans: pruned, changed: changed || pruned.length !== plans.length };
  }

  private planElement(
    element: DicomElement,
    dataset: DicomDataset,
    depth: number,
  ): ElementPlan | undefined {
    const { tag } = element;
    if (PROTECTED.has(tag)) return { op: 'copy', element };
    if (isGroupLengthTag(tag) || tag === LENGTH_TO_END || tagGroup(tag) === 0x0002)
      return undefined;
    const subject = new Subject(
      this.context.source,
      this.targetOf(element, dataset),
      element,
      dataset,
    );
    const decided = this.decide(subject, depth);
    const decision = decided?.decision ?? REMOVE;
    if (depth === 0) this.notePlanned(subject, decision);
    const describe = (): string => subject.describe(decided?.rule);
    const { vr } = subject.target;
    switch (decision.kind) {
      case 'remove':
        return undefined;
      case 'blank':
        return element.items
          ? { op: 'new-sequence', tag, items: [] }
          : { op: 'value', tag, vr, value: Buffer.alloc(0) };
      case 'items':
        return this.newSequence(tag, decision.items, dataset, describe);
      case 'set': {
        if (element.items || element.encapsulated) {
          throw new SomError(
            'InvalidArgument',
            `${describe()}: a sequence cannot take a text value`,
          );
        }
        if (vr === 'UN')
          throw new SomError(
            'InvalidArgument',
            `${describe()}: cannot write a value of unknown VR (UN)`,
          );
        const value = encodeValue(decision.text, vr, dataset, describe);
        if (element.vr === vr && value.equals(dataset.valueBytes(element)))
          return { op: 'copy', element };
        return { op: 'value', tag, vr, value };
      }
      case 'keep': {
        if (!element.items || element.items.length === 0) return { op: 'copy', element };
        const items: ItemPlan[] = [];
        let changed = false;
        for (const item of element.items) {
          const inner = this.planDataset(item.dataset, depth + 1);
          changed ||= inner.changed;
          items.push({ item, elements: inner.plans });
        }
        return changed ? { op: 'sequence', element, items } : { op: 'copy', element };
      }
    }
  }

  /** The plan of an element created by an ADD rule, if the recipe's decision for it is that ADD. */
  private planAddition(tag: Tag, rule: RecipeRule, dataset: DicomDataset): ElementPlan | undefined {
    const entry = lookupTag(tag);
    if (!entry)
      throw new SomError('InvalidArgument', `${rule.origin}: ADD needs a standard attribute`);
    const target: SelectorTarget = {
      tag,
      vr: entry.vr,
      keyword: entry.keyword,
      creator: undefined,
      retired: entry.retired,
      known: true,
    };
    const subject = new Subject(this.context.source, target, undefined, dataset);
    const decided = this.decide(subject, 0);
    if (!decided || decided.rule.action !== 'ADD') return undefined;
    const { decision } = decided;
    const describe = (): string => subject.describe(decided.rule);
    this.notePlanned(subject, decision);
    if (decision.kind === 'items') return this.newSequence(tag, decision.items, dataset, describe);
    if (decision.kind !== 'set') return undefined;
    if (entry.vr === 'SQ')
      throw new SomError('InvalidArgument', `${describe()}: a sequence cannot take a text value`);
    return {
      op: 'value',
      tag,
      vr: entry.vr,
      value: encodeValue(decision.text, entry.vr, dataset, describe),
    };
  }

  private newSequence(
    tag: Tag,
    items: ReadonlyArray<Readonly<Record<string, string>>>,
    dataset: DicomDataset,
    describe: () => string,
  ): ElementPlan {
    return {
      op: 'new-sequence',
      tag,
      items: items.map((item) =>
        Object.entries(item)
          .map(([keyword, text]): ElementPlan => {
            const itemTag = tagOfKeyword(keyword);
            if (itemTag === undefined) {
              throw new SomError(
                'InvalidArgument',
                `${describe()}: unknown keyword ${keyword} in a sequence item`,
              );
            }
            const vr = lookupTag(itemTag)?.vr ?? 'UN';
            return {
              op: 'value',
              tag: itemTag,
              vr,
              value: encodeValue(text, vr, dataset, () => `${describe()} item ${keyword}`),
            };
          })
          .sort((a, b) => planTag(a) - planTag(b)),
      ),
    };
  }

  private notePlanned(subject: Subject, decision: Decision): void {
    const { tag } = subject.target;
    if (tag !== Tags.SOPClassUID && tag !== Tags.SOPInstanceUID) return;
    let value: string | undefined;
    if (decision.kind === 'set') value = decision.text;
    else if (decision.kind === 'keep') value = subject.text || undefined;
    if (tag === Tags.SOPClassUID) this.planned.sopClassUid = value;
    else this.planned.sopInstanceUid = value;
  }

  private targetOf(element: DicomElement, dataset: DicomDataset): SelectorTarget {
    const { tag } = element;
    const entry = lookupTag(tag);
    return {
      tag,
      vr: effectiveVr(element),
      keyword: entry?.keyword,
      creator:
        isPrivateTag(tag) && !isPrivateCreatorTag(tag) ? privateCreator(tag, dataset) : undefined,
      retired: entry?.retired ?? false,
      known: entry !== undefined,
    };
  }

  /** The first layer's applicable rule of highest precedence, with its decision. */
  private decide(
    subject: Subject,
    depth: number,
  ): { decision: Decision; rule: RecipeRule } | undefined {
    for (const layer of rulesFor(this.recipe, subject.target)) {
      for (const { rule } of layer) {
        if (rule.action === 'ADD' && depth > 0) continue;
        if (rule.when && this.rules.available(rule.when.variable) !== rule.when.available) continue;
        const decision = this.rules.apply(rule, subject);
        if (decision) return { decision, rule };
      }
    }
    return undefined;
  }
}

function planTag(plan: ElementPlan): Tag {
  return plan.op === 'copy' || plan.op === 'sequence' ? plan.element.tag : plan.tag;
}

/** The private creator of a private data element `(gggg,xxee)`: the value of `(gggg,00xx)`. */
function privateCreator(tag: Tag, dataset: DicomDataset): string | undefined {
  const element = tag & 0xffff;
  if (element < 0x1000) return undefined;
  const creator = dataset.get(((tag & 0xffff0000) | (element >>> 8)) >>> 0);
  return creator ? dataset.text(creator) : undefined;
}

/** Drop private creators whose block has no element left. */
function dropOrphanCreators(plans: ElementPlan[]): ElementPlan[] {
  if (!plans.some((p) => isPrivateCreatorTag(planTag(p)))) return plans;
  const used = new Set<number>();
  for (const p of plans) {
    const tag = planTag(p);
    if (isPrivateTag(tag) && (tag & 0xffff) >= 0x1000)
      used.add(((tag & 0xffff0000) | ((tag & 0xff00) >>> 8)) >>> 0);
  }
  return plans.filter((p) => !isPrivateCreatorTag(planTag(p)) || used.has(planTag(p)));
}
