/**
 * Checking a recipe's `var:` names before any file is read: a name that neither the aliases
 * nor the caller can give would fail every file the same way.
 */
import { SomError } from '@som/core';
import { RECIPE_VARIABLES, type Recipe } from './types';

/**
 * Throw InvalidArgument naming the first rule of `recipe` whose value is a `var:` that is
 * neither one of the aliases' ({@link RECIPE_VARIABLES}) nor one of `names` (the caller's).
 */
export function checkRecipeVariables(recipe: Recipe, names: Iterable<string> = []): void {
  const known = new Set<string>([...RECIPE_VARIABLES, ...names]);
  for (const layer of recipe.layers) {
    for (const rule of layer.rules) {
      const { value } = rule;
      if (value?.kind === 'var' && !known.has(value.name)) {
        throw new SomError(
          'InvalidArgument',
          `${rule.origin}: unknown variable var:${value.name} (known: ${[...known].join(', ')})`,
        );
      }
    }
  }
}
