/**
 * The structure of a de-identification recipe: the rules of pydicom/deid's `%header`
 * section, grouped in layers.
 */
import type { DicomDataset } from '../dataset';
import type { DicomHeader } from '../header';
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
  | { readonly kind: 'class'; readonly class: ElementClass };

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
  /** The value (ADD, REPLACE, JITTER) or condition (KEEP, REMOVE). */
  readonly value?: RecipeValue;
  /** Apply only under this condition on a variable (built in code; no text syntax). */
  readonly when?: RuleGuard;
  /** Where the rule was written, for messages, e.g. `deid.dicom line 12`. */
  readonly origin: string;
}

/** A list of rules resolved together by action precedence. */
export interface RecipeLayer {
  /** A short name for messages, e.g. the recipe's file name. */
  readonly name: string;
  /** The rules. */
  readonly rules: readonly RecipeRule[];
}

/**
 * A recipe: layers of rules. For each element the first layer with a rule that applies
 * decides; within a layer, the applicable rule of highest precedence
 * (KEEP > ADD > REPLACE > JITTER > REMOVE > BLANK) decides. An element no rule decides
 * is removed.
 */
export interface Recipe {
  /** The layers, first decides first. */
  readonly layers: readonly RecipeLayer[];
}

/** The variables `var:` can name, from the aliases. */
export const RECIPE_VARIABLES = [
  'entity_id',
  'item_id',
  'jitter',
  'entity_timestamp',
  'item_timestamp',
] as const;

/** What a {@link RecipeFunction} is told about the element it is called for. */
export interface RecipeFunctionContext {
  /** The action of the rule (REMOVE and KEEP want a boolean; ADD and REPLACE a value; JITTER days). */
  readonly action: RecipeAction;
  /** The element's tag. */
  readonly tag: Tag;
  /** The keyword, for standard attributes. */
  readonly keyword: string | undefined;
  /** The VR. */
  readonly vr: string;
  /** The current (original) value as text; empty for sequences and bulk data. */
  readonly value: string;
  /** The data set holding the element (the file's top level or a sequence item). */
  readonly dataset: DicomDataset;
  /** The original header of the file. */
  readonly header: DicomHeader;
  /** The variables available to `var:`. */
  readonly variables: Readonly<Record<string, string | number>>;
}

/**
 * A function named by `func:<name>`. For ADD and REPLACE it returns the new value; for
 * JITTER the days; for KEEP and REMOVE whether the rule applies. Returning undefined
 * declines: the next applicable rule decides.
 */
export type RecipeFunction = (
  context: RecipeFunctionContext,
) => string | number | boolean | undefined;

/** One recipe made of the layers of several: the first recipe's layers decide first. */
export function layerRecipes(...recipes: readonly Recipe[]): Recipe {
  return { layers: recipes.flatMap((r) => r.layers) };
}
