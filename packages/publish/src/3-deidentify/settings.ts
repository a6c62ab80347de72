/**
 * What de-identifies the files of a run besides their aliases: the recipe (layered over the
 * default profile), the functions and variables it names, the pixel filter and OCR. The
 * choices are plain data, so that each worker thread loads the same settings from them.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { SomError } from '@som/core';
import {
  RECIPE_VARIABLES,
  defaultPixelFilter,
  defaultRecipe,
  layerRecipes,
  loadRecipeFunctions,
  loadRecipeVariables,
  parseRecipe,
  type PixelFilter,
  type ProfileOptions,
  type Recipe,
  type RecipeFunction,
  type RecipeVariableTable,
} from '@som/dicom';
import type { PseudonymKey } from '@som/identifiers';
import { unreadableFile } from '../config/checks';

/** Which pixel filter screens the files: `default` (the recipe's `%filter` sections when it has any, else som's default filter) or `none`. */
export type PixelFilterChoice = 'default' | 'none';

/** OCR of the pixel data: `detect` quarantines a file with burned-in text, `redact` blanks the text. */
export type PixelTextMode = 'detect' | 'redact';

/** The pixel filter choices, for messages and checks. */
export const PIXEL_FILTER_CHOICES: readonly PixelFilterChoice[] = ['default', 'none'];

/** The OCR modes, for messages and checks. */
export const PIXEL_TEXT_MODES: readonly PixelTextMode[] = ['detect', 'redact'];

/** The de-identification choices of a run, as given (plain data: they go to worker threads). */
export interface DeidChoices {
  /** A deid recipe file whose rules decide before the default profile. */
  recipeFile?: string;
  /** A JavaScript module exporting the recipe's `func:` functions. */
  functionsFile?: string;
  /** A JSON or CSV file of the recipe's `var:` variables per entity or per file. */
  variablesFile?: string;
  /** The pixel filter. */
  pixelFilter: PixelFilterChoice;
  /** OCR of the pixel data, when asked. */
  pixelText?: PixelTextMode;
  /** Options of the default PS3.15 profile (e.g. `retainPatientCharacteristics`). */
  profile?: ProfileOptions;
}

/** The de-identification settings loaded from {@link DeidChoices}, without the key. */
export interface RecipeSettings {
  /** The recipe: the recipe file's rules over the default profile, or the profile alone. */
  recipe: Recipe;
  /** The functions `func:` names. */
  functions?: Readonly<Record<string, RecipeFunction>>;
  /** The variables `var:` names, per entity and per file. */
  variables?: RecipeVariableTable;
  /** The pixel filter (`DeidOptions.pixelFilter`): absent for the recipe's own sections, null for none. */
  pixelFilter?: PixelFilter | null;
  /** OCR of the pixel data, when asked. */
  pixelText?: PixelTextMode;
}

/** Everything that de-identifies a file besides the file and its aliases. */
export interface DeidSettings extends RecipeSettings {
  /** The key that remaps UIDs. */
  key: PseudonymKey;
  /**
   * Files at least this large are de-identified around their pixel data, not read whole
   * (default `STREAM_FROM_BYTES`, see around-pixels.ts).
   */
  streamFromBytes?: number;
}

/**
 * The recipe of a run: the default PS3.15 profile with `profile`'s options, or the rules of
 * `recipeFile` deciding first with that profile deciding whatever they do not mention.
 */
export async function loadRecipe(
  recipeFile: string | undefined,
  profile: ProfileOptions = {},
): Promise<Recipe> {
  const base = defaultRecipe(profile);
  if (recipeFile === undefined) return base;
  return layerRecipes(parseRecipe(await readFile(recipeFile, 'utf8'), recipeFile), base);
}

/** The pixel filter of `choice` under `recipe`: none, the recipe's own sections (absent), or som's default. */
function pixelFilterOf(
  choice: PixelFilterChoice,
  recipe: Recipe,
): Pick<RecipeSettings, 'pixelFilter'> {
  if (choice === 'none') return { pixelFilter: null };
  return recipe.pixelFilter !== undefined ? {} : { pixelFilter: defaultPixelFilter() };
}

/**
 * Load the settings `choices` name (the recipe, functions module and variables file); a
 * file that cannot be read or parsed is a SomError naming it.
 */
export async function loadRecipeSettings(choices: DeidChoices): Promise<RecipeSettings> {
  const recipe = await loadRecipe(choices.recipeFile, choices.profile);
  const { functionsFile, variablesFile } = choices;
  const problem =
    (functionsFile !== undefined ? unreadableFile(functionsFile, 'functions module') : undefined) ??
    (variablesFile !== undefined ? unreadableFile(variablesFile, 'variables file') : undefined);
  if (problem !== undefined) throw new SomError('InvalidArgument', problem);
  return {
    recipe,
    ...(functionsFile !== undefined ? { functions: loadRecipeFunctions(functionsFile) } : {}),
    ...(variablesFile !== undefined ? { variables: await loadRecipeVariables(variablesFile) } : {}),
    ...pixelFilterOf(choices.pixelFilter, recipe),
    ...(choices.pixelText !== undefined ? { pixelText: choices.pixelText } : {}),
  };
}

/** The lines (`origin`s) of the recipe's rules that name each `var:` and each `func:`. */
function references(recipe: Recipe): {
  variables: Map<string, string[]>;
  functions: Map<string, string[]>;
} {
  const variables = new Map<string, string[]>();
  const functions = new Map<string, string[]>();
  const add = (names: Map<string, string[]>, name: string, origin: string): void => {
    names.set(name, [...(names.get(name) ?? []), origin]);
  };
  for (const layer of recipe.layers) {
    for (const { value, origin } of layer.rules) {
      if (value?.kind === 'var') add(variables, value.name, origin);
      else if (value?.kind === 'func') add(functions, value.name, origin);
    }
  }
  return { variables, functions };
}

/**
 * Check, before any file is read, that every `var:` of the recipe is a variable of the
 * aliases or of the variables file, and that every `func:` is a function of the functions
 * module: one InvalidArgument naming each unknown name and the lines that use it.
 */
export function checkRecipeReferences(settings: RecipeSettings): void {
  const { variables, functions } = references(settings.recipe);
  const knownVariables = new Set<string>([
    ...RECIPE_VARIABLES,
    ...(settings.variables?.names ?? []),
  ]);
  const problems: string[] = [];
  const lines = (origins: readonly string[]): string => origins.join(', ');
  for (const [name, origins] of variables) {
    if (!knownVariables.has(name))
      problems.push(
        `${lines(origins)}: unknown variable var:${name} (the aliases give ${RECIPE_VARIABLES.join(', ')}; others come from a variables file, --vars)`,
      );
  }
  for (const [name, origins] of functions) {
    if (settings.functions?.[name] === undefined)
      problems.push(
        `${lines(origins)}: unknown function func:${name} (${settings.functions === undefined ? 'no functions module was given, --functions' : 'the functions module does not export it'})`,
      );
  }
  if (problems.length > 0) throw new SomError('InvalidArgument', problems.join('\n'));
}

/**
 * Check that Debian's tesseract with its English data can run (for OCR), so that a missing
 * one is said once before the run instead of for every file.
 * @throws SomError FailedPrecondition naming the Debian packages to install.
 */
export async function checkTesseract(command = 'tesseract'): Promise<void> {
  const install = 'install the Debian packages tesseract-ocr and tesseract-ocr-eng';
  const languages = await new Promise<string>((resolve, reject) => {
    const child = spawn(command, ['--list-langs'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', (err: NodeJS.ErrnoException) =>
      reject(
        new SomError(
          'FailedPrecondition',
          err.code === 'ENOENT'
            ? `OCR needs tesseract, which is not installed: ${install}`
            : `OCR needs tesseract, which could not run (${err.code ?? err.message}): ${install}`,
          { cause: err },
        ),
      ),
    );
    child.on('close', () => resolve(out));
  });
  if (!/^eng$/m.test(languages))
    throw new SomError(
      'FailedPrecondition',
      `OCR needs tesseract's English data, which is not installed: ${install}`,
    );
}
