/**
 * Values that break a shell script that forgets to quote them, for the builder tables. `$HOSTILE_VAR` is set to
 * `expanded` in the environment the tables run their scripts with, so an expansion shows; the substitutions would
 * create a file named `pwned`.
 */
export const HOSTILE: Array<[string, string]> = [
  ['a single quote', "it's"],
  ['command substitution', '$(touch pwned)'],
  ['backticks', '`touch pwned`'],
  ['a newline', 'two\nlines'],
  ['spaces', 'a b  c'],
  ['a semicolon', 'x; touch pwned'],
  ['&&', 'x && touch pwned'],
  ['a leading dash', '-rf'],
  ['a glob', '*'],
  ['a variable', '$HOSTILE_VAR'],
  ['double quotes and a backslash', '"q\\"'],
];
