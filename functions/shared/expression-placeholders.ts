/**
 * Placeholders for an expression's attribute names and values, numbered as they are asked
 * for: names go through `#n<i>` because DynamoDB reserves many words, values through `:v<i>`.
 */
export function expressionPlaceholders() {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  return {
    names,
    values,
    name(attribute: string): string {
      const placeholder = `#n${Object.keys(names).length}`;
      names[placeholder] = attribute;
      return placeholder;
    },
    value(v: unknown): string {
      const placeholder = `:v${Object.keys(values).length}`;
      values[placeholder] = v;
      return placeholder;
    },
  };
}
