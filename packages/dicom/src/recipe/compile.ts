/**
 * A recipe compiled for fast lookup: per layer, rules indexed by tag plus the rules with
 * expanders, each list in rank order (action precedence, or file order for recipes applied
 * as deid applies them); rules that depend on where an element is or on its value apart.
 * Compiled once per recipe object and cached.
 */
import type { Tag } from '../tags';
import { compileSelector, type CompiledSelector, type SelectorTarget } from './selectors';
import {
  type FieldSelector,
  type LayerOrder,
  type ListAction,
  RECIPE_ACTIONS,
  type Recipe,
  type RecipeRule,
} from './types';

/** A rule with its compiled selector and its rank (precedence, then order). */
export interface CompiledRule {
  /** The rule. */
  readonly rule: RecipeRule;
  /** Its selector as a predicate. */
  readonly selector: CompiledSelector;
  /** Lower ranks decide first. */
  readonly rank: number;
}

/** A `%values` line compiled: the elements it reads and how. */
export interface CompiledListAction {
  /** The line. */
  readonly action: ListAction;
  /** Its selector. */
  readonly selector: CompiledSelector;
}

/** One layer, indexed. */
export interface CompiledLayer {
  /** How its rules combine. */
  readonly order: LayerOrder;
  /** Rules whose selector depends on where the element is or on its value, tested per element. */
  readonly contextual: readonly CompiledRule[];
  /** The layer's `%values` lists, by name. */
  readonly valueLists: ReadonlyMap<string, readonly CompiledListAction[]>;
  /** Rules naming exactly one tag, by tag. */
  readonly byTag: ReadonlyMap<Tag, readonly CompiledRule[]>;
  /** `select:VR:` rules, by VR. */
  readonly byVr: ReadonlyMap<string, readonly CompiledRule[]>;
  /** All other rules. */
  readonly generic: readonly CompiledRule[];
}

/** A compiled recipe. */
export interface CompiledRecipe {
  /** The layers, first decides first. */
  readonly layers: readonly CompiledLayer[];
  /** ADD rules naming one tag, which may create top-level elements. */
  readonly additions: readonly { readonly tag: Tag; readonly rule: RecipeRule }[];
  /** The candidates of every layer by tag, then VR and creator (what selectors see). */
  readonly memo: Map<Tag, Map<string, readonly (readonly CompiledRule[])[]>>;
}

/** Targets remembered per recipe before the memo starts over (unusual private creators are unbounded). */
const MEMO_LIMIT = 50_000;

const cache = new WeakMap<Recipe, CompiledRecipe>();

/** Compile (or fetch the cached compilation of) `recipe`; `fields:` lists resolve within their layer. */
export function compileRecipe(recipe: Recipe): CompiledRecipe {
  let compiled = cache.get(recipe);
  if (!compiled) {
    compiled = build(recipe);
    cache.set(recipe, compiled);
  }
  return compiled;
}

function push<K>(map: Map<K, CompiledRule[]>, key: K, rule: CompiledRule): void {
  const list = map.get(key);
  if (list) list.push(rule);
  else map.set(key, [rule]);
}

function build(recipe: Recipe): CompiledRecipe {
  const additions: { tag: Tag; rule: RecipeRule }[] = [];
  const layers = recipe.layers.map((layer): CompiledLayer => {
    const order = layer.order ?? 'precedence';
    const byTag = new Map<Tag, CompiledRule[]>();
    const byVr = new Map<string, CompiledRule[]>();
    const generic: CompiledRule[] = [];
    const contextual: CompiledRule[] = [];
    const fields = layer.lists?.fields ?? {};
    const fieldsList = (name: string): readonly FieldSelector[] =>
      (Object.hasOwn(fields, name) ? (fields[name] ?? []) : []).map((a) => a.field);
    const valueLists = new Map<string, readonly CompiledListAction[]>(
      Object.entries(layer.lists?.values ?? {}).map(([name, actions]) => [
        name,
        actions.map((action) => ({ action, selector: compileSelector(action.field, fieldsList) })),
      ]),
    );
    layer.rules.forEach((rule, index) => {
      const selector = compileSelector(rule.field, fieldsList);
      const compiled: CompiledRule = {
        rule,
        selector,
        rank:
          order === 'file-order' ? index : RECIPE_ACTIONS.indexOf(rule.action) * 1_000_000 + index,
      };
      if (selector.contextual) {
        contextual.push(compiled);
      } else if (selector.tag !== undefined) {
        push(byTag, selector.tag, compiled);
        if (rule.action === 'ADD' && !additions.some((a) => a.tag === selector.tag))
          additions.push({ tag: selector.tag, rule });
      } else if (rule.field.kind === 'vr') {
        push(byVr, rule.field.vr, compiled);
      } else {
        generic.push(compiled);
      }
    });
    for (const list of [...byTag.values(), ...byVr.values(), generic]) list.sort(byRank);
    return { order, contextual, valueLists, byTag, byVr, generic };
  });
  additions.sort((a, b) => a.tag - b.tag);
  return { layers, additions, memo: new Map() };
}

/** Compares compiled rules by rank (lower first). */
export function byRank(a: CompiledRule, b: CompiledRule): number {
  return a.rank - b.rank;
}

const NONE: readonly CompiledRule[] = [];

/**
 * The rules of each layer selecting `target`, in precedence order. Selectors see only what
 * the tag, the VR and the private creator determine, so the answer is remembered.
 */
export function rulesFor(
  recipe: CompiledRecipe,
  target: SelectorTarget,
): readonly (readonly CompiledRule[])[] {
  let byTag = recipe.memo.get(target.tag);
  if (!byTag) {
    if (recipe.memo.size >= MEMO_LIMIT) recipe.memo.clear();
    byTag = new Map();
    recipe.memo.set(target.tag, byTag);
  }
  const key = target.creator === undefined ? target.vr : `${target.vr}${target.creator}`;
  let rules = byTag.get(key);
  if (!rules) {
    rules = recipe.layers.map((layer) => candidates(layer, target));
    if (byTag.size >= MEMO_LIMIT) byTag.clear();
    byTag.set(key, rules);
  }
  return rules;
}

/** The rules of `layer` selecting `target`, in precedence order. */
function candidates(layer: CompiledLayer, target: SelectorTarget): readonly CompiledRule[] {
  const exact = layer.byTag.get(target.tag) ?? NONE;
  const vr = layer.byVr.get(target.vr) ?? NONE;
  let generic: CompiledRule[] | undefined;
  for (const r of layer.generic) if (r.selector.matches(target)) (generic ??= []).push(r);
  if (!generic && vr.length === 0) return exact;
  if (!generic && exact.length === 0) return vr;
  return [...exact, ...vr, ...(generic ?? NONE)].sort(byRank);
}
