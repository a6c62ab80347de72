/**
 * The structure of a de-identification recipe: the rules of pydicom/deid's `%header`
 * section, grouped in layers.
 */
import type { DicomDataset } from '../dataset';
import type { DicomHeader } from '../header';
import type { PixelFilter } from '../pixels/filter-types';
import type { Tag } from '../tags';

/** The header actions of a deid recipe, highest precedence first (deid's documented order). */
export const RECIPE_ACTIONS = ['KEEP', 'ADD', 'REPLACE', 'JITTER', 'REMOVE', 'BLANK'] as const;

/** One header action. */
export type RecipeAction = (typeof RECIPE_ACTIONS)[number];

/** The element classes `select:<class>` names (extensions of deid's `select:VR:`/`select:group:`). */
export type ElementClass = 'private' | 'privatecreator' | 'retired' | 'unknown';

/** Which elements a rule applies to (the middle word of a recipe line). */
export type FieldSelector =
  /** A keyword or `(GGGG,EEEE)`: exactly that tag. */
  | { readonly kind: 'tag'; readonly tag: Tag }
  /** A tag with wildcard digits, e.g. `(50xx,xxxx)`: `(tag & mask) === value`. */
  | { readonly kind: 'mask'; readonly value: number; readonly mask: number }
  /** `(GGGG,"CREATOR",EE)`: a private element by its creator and offset in the block. */
  | {
      readonly kind: 'private';
      readonly group: number;
      readonly creator: string;
      readonly offset: number;
    }
  /** `ALL`: every element. */
  | { readonly kind: 'all' }
  /** `startswith:`, `endswith:`, `contains:`, `except:` a regular expression (case-insensitive) on keyword or tag. */
  | {
      readonly kind: 'pattern';
      readonly mode: 'startswith' | 'endswith' | 'contains' | 'except';
      readonly pattern: string;
    }
  /** `select:VR:XX`: elements of a VR. */
  | { readonly kind: 'vr'; readonly vr: string }
  /** `select:group:GGGG`: elements of a group. */
  | { readonly kind: 'group'; readonly group: number }
  /** `select:private`, `select:privatecreator`, `select:retired`, `select:unknown`. */
  | { readonly kind: 'class'; readonly class: ElementClass }
  /**
   * deid's nested names: `Sequence__Child` (keywords) or `(gggg,eeee)__0__(gggg,eeee)` (tags
   * with item indexes): the last step's element inside exactly these sequences.
   */
  | { readonly kind: 'path'; readonly steps: readonly PathStep[] }
  /** `values:<name>` (elements whose value holds a value of the list) or `fields:<name>`. */
  | { readonly kind: 'list'; readonly list: 'values' | 'fields'; readonly name: string }
  /** A keyword the dictionary does not know: selects nothing (deid ignores such lines). */
  | { readonly kind: 'nothing'; readonly text: string };

/** One step of a nested name: a tag, and for the sequences on the way the item index if given. */
export interface PathStep {
  /** The tag of the element at this depth. */
  readonly tag: Tag;
  /** The item of the sequence this step enters (any item when absent). */
  readonly item?: number;
}

/** Where a rule's value comes from (the rest of a recipe line). */
export type RecipeValue =
  /** The text as written. */
  | { readonly kind: 'literal'; readonly text: string }
  /** `var:<name>`: a variable of the aliases (see {@link RECIPE_VARIABLES}) or of the caller. */
  | { readonly kind: 'var'; readonly name: string }
  /** `func:<name>`: a {@link RecipeFunction} the caller registered. */
  | { readonly kind: 'func'; readonly name: string }
  /** `deid_func:<name> key=value ...`: a function built into som (deid's names where they exist). */
  | {
      readonly kind: 'deid_func';
      readonly name: string;
      readonly args: Readonly<Record<string, string>>;
    }
  /** Items of a sequence, each a map of keyword to text value (only built in code, e.g. by the profile). */
  | { readonly kind: 'items'; readonly items: ReadonlyArray<Readonly<Record<string, string>>> };

/** A condition on a variable: the rule applies only when the variable is (or is not) available. */
export interface RuleGuard {
  /** The variable, e.g. `jitter`. */
  readonly variable: string;
  /** Apply when available (true) or when not available (false). */
  readonly available: boolean;
}

/** One action line. */
export interface RecipeRule {
  /** The action. */
  readonly action: RecipeAction;
  /** The elements it applies to. */
  readonly field: FieldSelector;
  /** The field as written in a recipe text, for messages. */
  readonly fieldText?: string;
  /** The value (ADD, REPLACE, JITTER) or condition (KEEP, REMOVE). */
  readonly value?: RecipeValue;
  /** Apply only under this condition on a variable (built in code; no text syntax). */
  readonly when?: RuleGuard;
  /** Where the rule was written, for messages, e.g. `deid.dicom line 12`. */
  readonly origin: string;
}

/** One line of a `%values` or `%fields` group: `FIELD <selector>` or `SPLIT <selector> by=X;minlength=N`. */
export interface ListAction {
  /** FIELD takes whole values (or the elements, in `%fields`); SPLIT splits values into words. */
  readonly action: 'FIELD' | 'SPLIT';
  /** The elements it reads. */
  readonly field: FieldSelector;
  /** SPLIT's separator (default a space). */
  readonly by?: string;
  /** SPLIT keeps words at least this long (default 1). */
  readonly minLength?: number;
  /** Where it was written. */
  readonly origin: string;
}

/** The `%values` and `%fields` groups of a recipe, by name. */
export interface RecipeLists {
  /** `%values <name>`: values read from each file, selected by `values:<name>`. */
  readonly values: Readonly<Record<string, readonly ListAction[]>>;
  /** `%fields <name>`: elements selected by `fields:<name>`. */
  readonly fields: Readonly<Record<string, readonly ListAction[]>>;
}

/**
 * How a layer's rules combine. `precedence`: the applicable rule of highest precedence
 * (KEEP > ADD > REPLACE > JITTER > REMOVE > BLANK) decides, whatever the order of the lines.
 * `file-order`: as pydicom/deid applies a recipe: every rule in file order on the current
 * value (a later rule overwrites an earlier one, JITTERs add up), KEEP of a named element
 * stops every rule but ADD, REMOVE gives way to a REPLACE or JITTER of the same element,
 * and `KEEP ALL` keeps what no other rule of the layer touched.
 */
export type LayerOrder = 'precedence' | 'file-order';

/** A list of rules resolved together. */
export interface RecipeLayer {
  /** A short name for messages, e.g. the recipe's file name. */
  readonly name: string;
  /** The rules. */
  readonly rules: readonly RecipeRule[];
  /** How the rules combine (default `precedence`). */
  readonly order?: LayerOrder;
  /** The recipe's `%values` / `%fields` groups, for its `values:` and `fields:` selectors. */
  readonly lists?: RecipeLists;
}

/**
 * A recipe: layers of rules. For each element the first layer with a rule that applies
 * decides (see {@link LayerOrder} for how a layer decides). An element no rule decides is
 * removed.
 */
export interface Recipe {
  /** The layers, first decides first. */
  readonly layers: readonly RecipeLayer[];
  /** The recipe's `%filter` sections (burned-in pixel screening), if it has any. */
  readonly pixelFilter?: PixelFilter;
  /** Lines that do nothing (a REMOVE of a keyword the dictionary does not know, ...), one message each. */
  readonly warnings?: readonly string[];
}

/** The variables `var:` can name, from the aliases. */
export const RECIPE_VARIABLES = [
  'entity_id',
  'item_id',
  'jitter',
  'entity_timestamp',
  'item_timestamp',
] as const;

/** The element a function is called for, named as deid names it. */
export interface RecipeField {
  /** deid's nested name: keywords (tags for private elements) joined by `__`, e.g. `ReferencedSeriesSequence__SeriesInstanceUID`. */
  readonly name: string;
  /** deid's nested uid: `(gggg,eeee)` tags and item indexes joined by `__`, e.g. `(0008,1115)__0__(0020,000E)`. */
  readonly uid: string;
  /** The tag. */
  readonly tag: Tag;
  /** The keyword, for standard attributes. */
  readonly keyword: string | undefined;
  /** The VR. */
  readonly vr: string;
}

/**
 * What a {@link RecipeFunction} is told: deid's arguments (`item`, `value`, `field`,
 * `dataset`) and som's (the action, the original header).
 */
export interface RecipeFunctionContext {
  /** deid's `item`: the variables of the file (`var:` names: the aliases' and the caller's). */
  readonly item: Readonly<Record<string, string | number>>;
  /**
   * The element's current value as text (an earlier rule's result if one changed it; empty
   * for sequences and bulk data). deid passes the recipe's text (`func:name`) here.
   */
  readonly value: string;
  /** The element. */
  readonly field: RecipeField;
  /** The data set holding the element (the file's top level or a sequence item). */
  readonly dataset: DicomDataset;
  /** The action of the rule (REMOVE and KEEP want a boolean; ADD and REPLACE a value; JITTER days). */
  readonly action: RecipeAction;
  /** The original header of the file. */
  readonly header: DicomHeader;
}

/**
 * A function named by `func:<name>`. For ADD and REPLACE it returns the new value; for
 * JITTER the days; for KEEP and REMOVE whether the rule applies. Returning undefined
 * declines: the rule does nothing.
 */
export type RecipeFunction = (
  context: RecipeFunctionContext,
) => string | number | boolean | undefined;

/**
 * One recipe made of the layers of several: the first recipe's layers decide first; their
 * `%filter` sections are screened in the same order, and their warnings kept.
 */
export function layerRecipes(...recipes: readonly Recipe[]): Recipe {
  const filters = recipes.flatMap((r) => (r.pixelFilter ? [r.pixelFilter] : []));
  const warnings = recipes.flatMap((r) => r.warnings ?? []);
  return {
    layers: recipes.flatMap((r) => r.layers),
    ...(filters.length > 0
      ? { pixelFilter: { sections: filters.flatMap((f) => f.sections) } }
      : {}),
    ...(warnings.length > 0 ? { warnings } : {}),
  };
}
