/**
 * The recipe engine: decides, for every element at every depth, what the recipe does to it,
 * and turns the decisions into a write plan. Anything it cannot do with certainty is a
 * SomError: the file is not written.
 */
import { SomError } from '@som/core';
import type { PseudonymKey } from '@som/identifiers';
import { type DicomDataset, type DicomElement, effectiveVr } from '../dataset';
import { dateVrOf, isTimeText, shiftValues } from '../dates';
import { lookupTag, tagOfKeyword } from '../dictionary';
import type { DicomHeader } from '../header';
import { BUILTIN_FUNCTIONS } from '../recipe/builtins';
import { candidates, type CompiledRecipe } from '../recipe/compile';
import type { SelectorTarget } from '../recipe/selectors';
import type { RecipeFunction, RecipeRule, RecipeValue } from '../recipe/types';
import {
  formatTag,
  isGroupLengthTag,
  isPrivateCreatorTag,
  isPrivateTag,
  type Tag,
  tagGroup,
} from '../tags';
import type { ElementPlan, ItemPlan } from '../writer';
import { encodeValue } from './encode';
import { IdentityTokens } from './identity';

/** Elements the recipe never touches: the image itself (deid's protected fields). */
const PROTECTED = new Set<Tag>([0x7fe00010, 0x7fe00008, 0x7fe00009]);

/** Elements always dropped: lengths the writer cannot keep true (group lengths, Length to End). */
const LENGTH_TO_END = 0x00080001;

/** What the recipe decided for one element. */
type Decision =
  | { readonly kind: 'keep' }
  | { readonly kind: 'remove' }
  | { readonly kind: 'blank' }
  | { readonly kind: 'set'; readonly text: string }
  | { readonly kind: 'items'; readonly items: ReadonlyArray<Readonly<Record<string, string>>> };

const KEEP: Decision = { kind: 'keep' };
const REMOVE: Decision = { kind: 'remove' };
const BLANK: Decision = { kind: 'blank' };

/** Everything the engine needs besides the recipe. */
export interface EngineContext {
  /** The file name, for messages. */
  readonly source: string;
  /** The original header. */
  readonly header: DicomHeader;
  /** The variables `var:` can name (unavailable ones absent). */
  readonly variables: Readonly<Record<string, string | number>>;
  /** Variable names a recipe may use although they are absent now (they decline instead of failing). */
  readonly knownVariables: ReadonlySet<string>;
  /** The caller's `func:` functions. */
  readonly functions: Readonly<Record<string, RecipeFunction>>;
  /** The key of UID remapping. */
  readonly uidKey: PseudonymKey;
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
  private identityTokens: IdentityTokens | undefined;
  /** The output values of the top-level SOP UIDs. */
  readonly planned: PlannedIdentity = {};

  constructor(
    private readonly recipe: CompiledRecipe,
    private readonly context: EngineContext,
  ) {}

  private get identity(): IdentityTokens {
    this.identityTokens ??= new IdentityTokens(this.context.header);
    return this.identityTokens;
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
    const target = this.targetOf(element, dataset);
    const decided = this.decideRules(target, element, dataset, depth);
    const decision = decided?.decision ?? REMOVE;
    if (depth === 0) this.notePlanned(tag, decision, element, dataset);
    const what = decided
      ? `${this.describe(target)} (${decided.rule.origin})`
      : this.describe(target);
    switch (decision.kind) {
      case 'remove':
        return undefined;
      case 'blank':
        return element.items
          ? { op: 'new-sequence', tag, items: [] }
          : { op: 'value', tag, vr: target.vr, value: Buffer.alloc(0) };
      case 'items':
        return this.newSequence(tag, decision.items, dataset, what);
      case 'set': {
        if (element.items || element.encapsulated)
          throw new SomError('InvalidArgument', `${what}: a sequence cannot take a text value`);
        if (target.vr === 'UN')
          throw new SomError('InvalidArgument', `${what}: cannot write a value of unknown VR (UN)`);
        const value = encodeValue(decision.text, target.vr, dataset, what);
        if (element.vr === target.vr && value.equals(dataset.valueBytes(element)))
          return { op: 'copy', element };
        return { op: 'value', tag, vr: target.vr, value };
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
      throw new SomError(
        'InvalidArgument',
        `${rule.origin}: ADD of ${formatTag(tag)} needs a standard attribute`,
      );
    const target: SelectorTarget = {
      tag,
      vr: entry.vr,
      keyword: entry.keyword,
      creator: undefined,
      retired: entry.retired,
      known: true,
    };
    const what = this.describe(target);
    const decided = this.decideRules(target, undefined, dataset, 0);
    if (!decided || decided.rule.action !== 'ADD') return undefined;
    const { decision } = decided;
    this.notePlanned(tag, decision, undefined, dataset);
    if (decision.kind === 'items') return this.newSequence(tag, decision.items, dataset, what);
    if (decision.kind !== 'set') return undefined;
    if (entry.vr === 'SQ')
      throw new SomError('InvalidArgument', `${what}: a sequence cannot take a text value`);
    return {
      op: 'value',
      tag,
      vr: entry.vr,
      value: encodeValue(decision.text, entry.vr, dataset, what),
    };
  }

  private newSequence(
    tag: Tag,
    items: ReadonlyArray<Readonly<Record<string, string>>>,
    dataset: DicomDataset,
    what: string,
  ): ElementPlan {
    return {
      op: 'new-sequence',
      tag,
      items: items.map((item) =>
        Object.entries(item)
          .map(([keyword, text]): ElementPlan => {
            const itemTag = resolveKeyword(keyword, what);
            const vr = lookupTag(itemTag)?.vr ?? 'UN';
            return {
              op: 'value',
              tag: itemTag,
              vr,
              value: encodeValue(text, vr, dataset, `${what} item ${keyword}`),
            };
          })
          .sort((a, b) => planTag(a) - planTag(b)),
      ),
    };
  }

  private notePlanned(
    tag: Tag,
    decision: Decision,
    element: DicomElement | undefined,
    dataset: DicomDataset,
  ): void {
    if (tag !== 0x00080016 && tag !== 0x00080018) return;
    let value: string | undefined;
    if (decision.kind === 'set') value = decision.text;
    else if (decision.kind === 'keep' && element) value = dataset.text(element);
    if (tag === 0x00080016) this.planned.sopClassUid = value;
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

  private describe(target: SelectorTarget): string {
    const name = target.keyword
      ? `${target.keyword} ${formatTag(target.tag)}`
      : formatTag(target.tag);
    return `${this.context.source}: ${name}`;
  }

  /** The first layer's highest-precedence rule that applies, with its decision. */
  private decideRules(
    target: SelectorTarget,
    element: DicomElement | undefined,
    dataset: DicomDataset,
    depth: number,
  ): { decision: Decision; rule: RecipeRule } | undefined {
    for (const layer of this.recipe.layers) {
      for (const { rule } of candidates(layer, target)) {
        if (rule.action === 'ADD' && depth > 0) continue;
        if (rule.when && this.available(rule.when.variable) !== rule.when.available) continue;
        const decision = this.apply(rule, target, element, dataset);
        if (decision) return { decision, rule };
      }
    }
    return undefined;
  }

  private available(variable: string): boolean {
    return this.context.variables[variable] !== undefined;
  }

  /** The decision of `rule` for the element, or undefined when the rule declines. */
  private apply(
    rule: RecipeRule,
    target: SelectorTarget,
    element: DicomElement | undefined,
    dataset: DicomDataset,
  ): Decision | undefined {
    const what = `${this.describe(target)} (${rule.origin})`;
    const value = (): string => (element ? dataset.text(element) : '');
    switch (rule.action) {
      case 'KEEP':
      case 'REMOVE': {
        if (rule.value && !this.condition(rule.value, rule, target, value(), dataset, what))
          return undefined;
        return rule.action === 'KEEP' ? KEEP : REMOVE;
      }
      case 'BLANK':
        return BLANK;
      case 'ADD':
      case 'REPLACE': {
        if (!rule.value)
          throw new SomError('InvalidArgument', `${what}: ${rule.action} without a value`);
        if (rule.value.kind === 'items') return { kind: 'items', items: rule.value.items };
        const resolved = this.resolve(rule.value, rule, target, value(), dataset, what);
        if (resolved === undefined) return undefined;
        if (typeof resolved === 'boolean')
          throw new SomError(
            'InvalidArgument',
            `${what}: the function returned a boolean, not a value`,
          );
        return { kind: 'set', text: String(resolved) };
      }
      case 'JITTER':
        return this.jitter(rule, target, value(), dataset, what);
    }
  }

  private jitter(
    rule: RecipeRule,
    target: SelectorTarget,
    text: string,
    dataset: DicomDataset,
    what: string,
  ): Decision | undefined {
    if (!rule.value) throw new SomError('InvalidArgument', `${what}: JITTER without a value`);
    const resolved = this.resolve(rule.value, rule, target, text, dataset, what);
    if (resolved === undefined) return undefined;
    const days = typeof resolved === 'number' ? resolved : Number(resolved);
    if (typeof resolved === 'boolean' || !Number.isInteger(days)) {
      throw new SomError(
        'InvalidArgument',
        `${what}: JITTER needs a whole number of days, got ${JSON.stringify(resolved)}`,
      );
    }
    if (target.vr === 'SQ')
      throw new SomError('InvalidArgument', `${what}: cannot JITTER a sequence`);
    // Whole-day shifts leave times of day unchanged.
    if (target.vr === 'TM') return isTimeText(text) ? KEEP : REMOVE;
    if (text.trim() === '') return KEEP;
    // A value that is not a valid date cannot be shifted: it is removed, never kept.
    const vr = target.vr === 'DA' || target.vr === 'DT' ? target.vr : dateVrOf(text);
    const shifted = vr === undefined ? undefined : shiftValues(text, vr, days);
    return shifted === undefined ? REMOVE : { kind: 'set', text: shifted };
  }

  private condition(
    value: RecipeValue,
    rule: RecipeRule,
    target: SelectorTarget,
    text: string,
    dataset: DicomDataset,
    what: string,
  ): boolean {
    const result = this.resolve(value, rule, target, text, dataset, what);
    if (typeof result !== 'boolean') {
      throw new SomError(
        'InvalidArgument',
        `${what}: a ${rule.action} condition must return true or false`,
      );
    }
    return result;
  }

  /** The value of a rule: a literal, a variable, or a function's result; undefined declines. */
  private resolve(
    value: RecipeValue,
    rule: RecipeRule,
    target: SelectorTarget,
    text: string,
    dataset: DicomDataset,
    what: string,
  ): string | number | boolean | undefined {
    switch (value.kind) {
      case 'literal':
        return value.text;
      case 'var': {
        const v = this.context.variables[value.name];
        if (v === undefined && !this.context.knownVariables.has(value.name)) {
          throw new SomError('InvalidArgument', `${what}: unknown variable var:${value.name}`);
        }
        return v;
      }
      case 'func': {
        const fn = this.context.functions[value.name];
        if (!fn)
          throw new SomError(
            'InvalidArgument',
            `${what}: no function func:${value.name} was registered`,
          );
        return fn(this.functionContext(rule, target, text, dataset));
      }
      case 'deid_func': {
        const fn = BUILTIN_FUNCTIONS[value.name];
        if (!fn) throw new SomError('InvalidArgument', `${what}: unknown deid_func:${value.name}`);
        const context = {
          ...this.functionContext(rule, target, text, dataset),
          uidKey: this.context.uidKey,
          identity: this.identity,
          what,
        };
        return fn(context, value.args);
      }
      case 'items':
        throw new SomError(
          'InvalidArgument',
          `${what}: sequence items are a value only for ADD and REPLACE`,
        );
    }
  }

  private functionContext(
    rule: RecipeRule,
    target: SelectorTarget,
    text: string,
    dataset: DicomDataset,
  ) {
    return {
      action: rule.action,
      tag: target.tag,
      keyword: target.keyword,
      vr: target.vr,
      value: text,
      dataset,
      header: this.context.header,
      variables: this.context.variables,
    };
  }
}

function planTag(plan: ElementPlan): Tag {
  return plan.op === 'copy' || plan.op === 'sequence' ? plan.element.tag : plan.tag;
}

function resolveKeyword(keyword: string, what: string): Tag {
  const tag = tagOfKeyword(keyword);
  if (tag === undefined)
    throw new SomError('InvalidArgument', `${what}: unknown keyword ${keyword} in a sequence item`);
  return tag;
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
  const creators = plans.filter((p) => isPrivateCreatorTag(planTag(p)));
  if (creators.length === 0) return plans;
  const used = new Set<number>();
  for (const p of plans) {
    const tag = planTag(p);
    if (isPrivateTag(tag) && (tag & 0xffff) >= 0x1000)
      used.add(((tag & 0xffff0000) | ((tag & 0xff00) >>> 8)) >>> 0);
  }
  return plans.filter((p) => !isPrivateCreatorTag(planTag(p)) || used.has(planTag(p)));
}
