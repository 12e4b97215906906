/** `{{name}}` placeholders in service command templates and artifact paths. Pure: used by config and runbooks. */
export const PLACEHOLDER = /\{\{\s*([^}]*?)\s*\}\}/g;

/** Replaces each `{{name}}` with `render(name)`: quoted values for command lines, plain ones for paths. */
export function fillTemplate(template: string, render: (name: string) => string): string {
  return template.replace(PLACEHOLDER, (_, name: string) => render(name));
}
