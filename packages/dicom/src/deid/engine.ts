/**
 * The recipe engine: decides, for every element at every depth, what the recipe does to it
 * (the first layer that decides: by action precedence for the profile's layers, in file
 * order as deid applies them for parsed recipes), and turns the decisions into a write plan. Anything it cannot do with certainty is a SomError: the
 * file is not written.
 */
import { SomError } from '@som/core';
import { type DicomDataset, type DicomElement, effectiveVr } from '../dataset';
import { lookupTag, tagOfKeyword } from '../dictionary';
import {
  byRank,
  type CompiledLayer,
  type CompiledListAction,
  type CompiledRecipe,
  type CompiledRule,
  rulesFor,
} from '../recipe/compile';
import type { ElementContext, SelectorTarget } from '../recipe/selectors';
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
import { type Decision, KEEP, REMOVE, RuleApplier, type RuleContext } from './apply';
import { encodeValue } from './encode';
import { type Ancestor, Subject } from './subject';

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
  /** The rules of file-order layers (recipes) that selected at least one element. */
  readonly matched = new Set<RecipeRule>();
  private readonly rules: RuleApplier;
  private readonly valueLists = new Map<string, RegExp | undefined>();
  private topLevel: DicomDataset | undefined;
  /** The private creators of this file's data sets, by the tag of their block. */
  private readonly creators = new Map<DicomDataset, Map<Tag, string | undefined>>();

  constructor(
    private readonly recipe: CompiledRecipe,
    private readonly context: EngineContext,
  ) {
    this.rules = new RuleApplier(context);
  }

  /** The plan of the top-level data set, with the recipe's ADD elements created. */
  planTopLevel(dataset: DicomDataset): ElementPlan[] {
    this.topLevel = dataset;
    const { plans } = this.planDataset(dataset, NO_ANCESTORS);
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
    ancestors: readonly Ancestor[],
  ): { plans: ElementPlan[]; changed: boolean } {
    const plans: ElementPlan[] = [];
    let changed = false;
    for (const element of dataset.elements) {
      const plan = this.planElement(element, dataset, ancestors);
      if (!plan || plan.op !== 'copy' || plan.element !== element) changed = true;
      if (plan) plans.push(plan);
    }
    const pruned = dropOrphanCreators(keepCreators(plans, dataset));
    return { plans: pruned, changed: changed || pruned.length !== plans.length };
  }

  private planElement(
    element: DicomElement,
    dataset: DicomDataset,
    ancestors: readonly Ancestor[],
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
      ancestors,
    );
    const decided = this.decide(subject);
    const decision = decided?.decision ?? REMOVE;
    if (ancestors.length === 0) this.notePlanned(subject, decision);
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
        const value = encodeValue(decision.text, vr, dataset, describe);
        if (element.vr === vr && value.equals(dataset.valueBytes(element)))
          return { op: 'copy', element };
        return { op: 'value', tag, vr, value };
      }
      case 'keep': {
        if (!element.items || element.items.length === 0) return { op: 'copy', element };
        const items: ItemPlan[] = [];
        let changed = false;
        for (const [index, item] of element.items.entries()) {
          const inner = this.planDataset(item.dataset, [...ancestors, { tag, item: index }]);
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
    if (!entry && !isPrivateTag(tag))
      throw new SomError('InvalidArgument', `${rule.origin}: ADD needs a standard attribute`);
    // A private element added by number is text, as deid adds it (Short Text).
    const vr = entry?.vr ?? 'ST';
    const target: SelectorTarget = {
      tag,
      vr,
      keyword: entry?.keyword,
      creator: isPrivateTag(tag) ? privateCreator(tag, dataset) : undefined,
      retired: entry?.retired ?? false,
      known: entry !== undefined,
    };
    const subject = new Subject(this.context.source, target, undefined, dataset);
    const decided = this.decide(subject);
    if (!decided || !decided.created) return undefined;
    const { decision } = decided;
    const describe = (): string => subject.describe(decided.rule);
    this.notePlanned(subject, decision);
    if (decision.kind === 'items') return this.newSequence(tag, decision.items, dataset, describe);
    if (decision.kind === 'blank') return { op: 'value', tag, vr, value: Buffer.alloc(0) };
    if (decision.kind !== 'set') return undefined;
    if (vr === 'SQ')
      throw new SomError('InvalidArgument', `${describe()}: a sequence cannot take a text value`);
    return { op: 'value', tag, vr, value: encodeValue(decision.text, vr, dataset, describe) };
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
        itemFields(item, describe).map(({ keyword, tag: itemTag, vr, text }): ElementPlan => ({
          op: 'value',
          tag: itemTag,
          vr,
          value: encodeValue(text, vr, dataset, () => `${describe()} item ${keyword}`),
        })),
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

  /**
   * The decision of the first layer that decides, with the rule that decided it; `created`
   * when an ADD made it for an absent element.
   */
  private decide(subject: Subject): Decided | undefined {
    const layers = this.recipe.layers;
    const candidates = rulesFor(this.recipe, subject.target);
    for (let index = 0; index < layers.length; index++) {
      const layer = layers[index] as CompiledLayer;
      let rules = candidates[index] ?? NO_RULES;
      if (layer.contextual.length > 0) rules = this.withContextual(rules, layer, subject);
      if (rules.length === 0) continue;
      const decided =
        layer.order === 'file-order'
          ? this.applyInFileOrder(rules, subject)
          : this.applyByPrecedence(rules, subject);
      if (decided) return decided;
    }
    return undefined;
  }

  /** The applicable rule of highest precedence. */
  private applyByPrecedence(rules: readonly CompiledRule[], subject: Subject): Decided | undefined {
    const depth = subject.ancestors.length;
    for (const { rule } of rules) {
      if (rule.action === 'ADD' && depth > 0) continue;
      if (rule.when && this.rules.available(rule.when.variable) !== rule.when.available) continue;
      const decision = this.rules.apply(rule, subject);
      if (decision) return { decision, rule, created: rule.action === 'ADD' && !subject.element };
    }
    return undefined;
  }

  /**
   * The rules of a layer applied as deid applies them: each in file order on the current
   * value. A KEEP of the element (not `KEEP ALL`) stops every rule but ADD; a REMOVE gives
   * way to any REPLACE or JITTER of the element; a removed element takes only ADD; `KEEP
   * ALL` keeps the element when no other rule did anything to it. Undefined when no rule
   * did anything (the next layer decides).
   */
  private applyInFileOrder(rules: readonly CompiledRule[], subject: Subject): Decided | undefined {
    const topLevel = subject.ancestors.length === 0;
    let keepAll: RecipeRule | undefined;
    let kept: RecipeRule | undefined;
    let changes = false;
    for (const { rule } of rules) {
      this.matched.add(rule);
      if (rule.action === 'REPLACE' || rule.action === 'JITTER') changes = true;
      if (rule.action !== 'KEEP') continue;
      if (rule.field.kind === 'all') keepAll ??= rule;
      else if (!kept && this.rules.apply(rule, subject)) kept = rule;
    }
    let current: Decision | undefined = subject.element ? undefined : REMOVE;
    let last: RecipeRule | undefined;
    let added = false;
    for (const { rule } of rules) {
      if (rule.action === 'KEEP') continue;
      if (rule.action === 'ADD') {
        if (!topLevel) continue;
      } else if (kept || current?.kind === 'remove') continue;
      if (rule.action === 'REMOVE' && changes) continue;
      if (rule.action === 'JITTER' && current?.kind === 'blank') continue;
      const decision = this.rules.apply(rule, subject);
      if (!decision) continue;
      last = rule;
      // A JITTER that keeps (a time, an empty value) leaves an earlier rule's value in place.
      if (decision.kind === 'keep' && current) continue;
      current = decision;
      if (rule.action === 'ADD') added = true;
      if (decision.kind === 'set') subject.setText(decision.text);
    }
    const created = !subject.element && current?.kind !== 'remove';
    if (kept) {
      return added && last && current
        ? { decision: current, rule: last, created }
        : { decision: KEEP, rule: kept, created: false };
    }
    if (last && current) return { decision: current, rule: last, created };
    if (!subject.element) {
      // A REMOVE or BLANK of an absent attribute says it should not be there: no later layer creates it.
      const refused = rules.find((r) => r.rule.action === 'REMOVE' || r.rule.action === 'BLANK');
      return refused ? { decision: REMOVE, rule: refused.rule, created: false } : undefined;
    }
    return keepAll ? { decision: KEEP, rule: keepAll, created: false } : undefined;
  }

  /** `rules` with the layer's contextual rules that select `subject`, in rank order. */
  private withContextual(
    rules: readonly CompiledRule[],
    layer: CompiledLayer,
    subject: Subject,
  ): readonly CompiledRule[] {
    const hits = layer.contextual.filter(
      (r) =>
        r.selector.matches(subject.target) &&
        r.selector.contextual?.(subject.target, this.elementContext(subject, layer)),
    );
    return hits.length === 0 ? rules : [...rules, ...hits].sort(byRank);
  }

  private elementContext(subject: Subject, layer: CompiledLayer): ElementContext {
    return {
      ancestors: subject.ancestors,
      get text() {
        return subject.text;
      },
      valuesPattern: (name) => this.valuesPattern(layer, name),
    };
  }

  /** The file's `%values` list `name` of `layer` as one expression (deid searches values for any of them). */
  private valuesPattern(layer: CompiledLayer, name: string): RegExp | undefined {
    const key = `${this.recipe.layers.indexOf(layer)}:${name}`;
    if (!this.valueLists.has(key)) {
      const values = this.topLevel
        ? collectValues(this.topLevel, layer.valueLists.get(name) ?? [], this)
        : [];
      this.valueLists.set(
        key,
        values.length === 0 ? undefined : new RegExp(values.map(escapeRegExp).join('|'), 'i'),
      );
    }
    return this.valueLists.get(key);
  }

  /** The private creator of `tag` in `dataset`, decoded once per block (see {@link privateCreator}). */
  private creatorOf(tag: Tag, dataset: DicomDataset): string | undefined {
    let creators = this.creators.get(dataset);
    if (!creators) {
      creators = new Map();
      this.creators.set(dataset, creators);
    }
    const block = creatorTag(tag);
    if (creators.has(block)) return creators.get(block);
    const creator = privateCreator(tag, dataset);
    creators.set(block, creator);
    return creator;
  }

  /** What selectors see of `element` (exposed for the `%values` lists). */
  targetOf(element: DicomElement, dataset: DicomDataset): SelectorTarget {
    const { tag } = element;
    const entry = lookupTag(tag);
    return {
      tag,
      vr: effectiveVr(element),
      keyword: entry?.keyword,
      creator:
        isPrivateTag(tag) && !isPrivateCreatorTag(tag) ? this.creatorOf(tag, dataset) : undefined,
      retired: entry?.retired ?? false,
      known: entry !== undefined,
    };
  }
}

/** One element of a sequence item a recipe writes: its keyword's tag and VR, and its text. */
interface ItemField {
  readonly keyword: string;
  readonly tag: Tag;
  readonly vr: string;
  readonly text: string;
}

/** The fields of recipe items, looked up once per item (every file gets the same items). */
const fieldsOfItem = new WeakMap<Readonly<Record<string, string>>, readonly ItemField[]>();

/** The fields of a recipe's sequence item, in tag order; an unknown keyword is a SomError. */
function itemFields(
  item: Readonly<Record<string, string>>,
  describe: () => string,
): readonly ItemField[] {
  let fields = fieldsOfItem.get(item);
  if (!fields) {
    fields = Object.entries(item)
      .map(([keyword, text]): ItemField => {
        const tag = tagOfKeyword(keyword);
        if (tag === undefined) {
          throw new SomError(
            'InvalidArgument',
            `${describe()}: unknown keyword ${keyword} in a sequence item`,
          );
        }
        return { keyword, tag, vr: lookupTag(tag)?.vr ?? 'UN', text };
      })
      .sort((a, b) => a.tag - b.tag);
    fieldsOfItem.set(item, fields);
  }
  return fields;
}

/** A decision, the rule that made it, and whether it creates an absent element. */
interface Decided {
  readonly decision: Decision;
  readonly rule: RecipeRule;
  readonly created: boolean;
}

const NO_ANCESTORS: readonly Ancestor[] = [];
const NO_RULES: readonly CompiledRule[] = [];

/** A value as a literal regular expression. */
function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The values a `%values` list reads from a file, at every depth: FIELD takes every value of
 * the selected elements, SPLIT their text split `by` (default a space) into words of at least
 * `minLength` characters (default 1).
 */
function collectValues(
  dataset: DicomDataset,
  actions: readonly CompiledListAction[],
  engine: Engine,
): string[] {
  const values = new Set<string>();
  const visit = (ds: DicomDataset): void => {
    for (const element of ds.elements) {
      if (element.items) {
        for (const item of element.items) visit(item.dataset);
        continue;
      }
      const target = engine.targetOf(element, ds);
      for (const { action, selector } of actions) {
        if (!selector.matches(target)) continue;
        if (action.action === 'FIELD') {
          for (const v of ds.texts(element)) if (v !== '') values.add(v);
        } else {
          const text = ds.text(element);
          for (const word of text.split(action.by ?? ' '))
            if (word.length >= (action.minLength ?? 1)) values.add(word);
        }
      }
    }
  };
  visit(dataset);
  return [...values];
}

function planTag(plan: ElementPlan): Tag {
  return plan.op === 'copy' || plan.op === 'sequence' ? plan.element.tag : plan.tag;
}

/** The private creator of a private data element `(gggg,xxee)`: the value of `(gggg,00xx)`. */
function privateCreator(tag: Tag, dataset: DicomDataset): string | undefined {
  if ((tag & 0xffff) < 0x1000) return undefined;
  const creator = dataset.get(creatorTag(tag));
  return creator ? dataset.text(creator) : undefined;
}

/** The block of a private data element `(gggg,xxee)`: the tag of its creator `(gggg,00xx)`. */
function creatorTag(tag: Tag): Tag {
  return ((tag & 0xffff0000) | ((tag & 0xff00) >>> 8)) >>> 0;
}

/** Put back, as they were, the creators of kept private elements that a rule removed (the block is meaningless without it). */
function keepCreators(plans: ElementPlan[], dataset: DicomDataset): ElementPlan[] {
  let out = plans;
  /** The tags planned, gathered at the first private data element. */
  let planned: Set<Tag> | undefined;
  for (const plan of plans) {
    const tag = planTag(plan);
    if ((tag & 0x10000) === 0 || (tag & 0xffff) < 0x1000) continue;
    const creator = creatorTag(tag);
    planned ??= new Set(plans.map(planTag));
    if (planned.has(creator)) continue;
    const element = dataset.get(creator);
    if (!element) continue;
    planned.add(creator);
    if (out === plans) out = [...plans];
    const at = out.findIndex((p) => planTag(p) > creator);
    out.splice(at < 0 ? out.length : at, 0, { op: 'copy', element });
  }
  return out;
}

/** Drop private creators whose block has no element left. */
function dropOrphanCreators(plans: ElementPlan[]): ElementPlan[] {
  if (!plans.some((p) => isPrivateCreatorTag(planTag(p)))) return plans;
  const used = new Set<number>();
  for (const p of plans) {
    const tag = planTag(p);
    if (isPrivateTag(tag) && (tag & 0xffff) >= 0x1000) used.add(creatorTag(tag));
  }
  return plans.filter((p) => !isPrivateCreatorTag(planTag(p)) || used.has(planTag(p)));
}
