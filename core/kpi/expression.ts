/**
 * Derived KPIs are arithmetic over other KPIs' values: `average_deal_size / cac`,
 * `(revenue - spend) / spend`. A tiny recursive-descent parser: identifiers, numbers, + − × ÷ and
 * parentheses — nothing else, so a definition in pipeline.yaml can never run code or SQL.
 */
export type Expression =
  | { readonly kind: 'number'; readonly value: number }
  | { readonly kind: 'kpi'; readonly id: string }
  | { readonly kind: 'binary'; readonly operator: '+' | '-' | '*' | '/'; readonly left: Expression; readonly right: Expression }
  | { readonly kind: 'negate'; readonly operand: Expression };

export class ExpressionError extends Error {}

const tokenPattern = /\s*(?:(\d+(?:\.\d+)?)|([a-z_][a-z0-9_]*)|([-+*/()]))/y;

export function parseExpression(text: string): Expression {
  const tokens: string[] = [];
  tokenPattern.lastIndex = 0;
  while (tokenPattern.lastIndex < text.length) {
    const at = tokenPattern.lastIndex;
    const match = tokenPattern.exec(text);
    if (!match) {
      if (text.slice(at).trim() === '') break;
      throw new ExpressionError(`unexpected "${text.slice(at).trim().slice(0, 10)}" at position ${at + 1}: use KPI ids, numbers, + - * / and parentheses`);
    }
    tokens.push(match[1] ?? match[2] ?? match[3]!);
  }
  let position = 0;
  const peek = () => tokens[position];
  const next = () => tokens[position++];

  const primary = (): Expression => {
    const token = next();
    if (token === undefined) throw new ExpressionError('the expression ends too early');
    if (token === '(') {
      const inner = sum();
      if (next() !== ')') throw new ExpressionError('a "(" is not closed');
      return inner;
    }
    if (token === '-') return { kind: 'negate', operand: primary() };
    if (/^\d/.test(token)) return { kind: 'number', value: Number(token) };
    if (/^[a-z_]/.test(token)) return { kind: 'kpi', id: token };
    throw new ExpressionError(`unexpected "${token}"`);
  };
  const product = (): Expression => {
    let left = primary();
    while (peek() === '*' || peek() === '/') left = { kind: 'binary', operator: next() as '*' | '/', left, right: primary() };
    return left;
  };
  const sum = (): Expression => {
    let left = product();
    while (peek() === '+' || peek() === '-') left = { kind: 'binary', operator: next() as '+' | '-', left, right: product() };
    return left;
  };

  const expression = sum();
  if (position < tokens.length) throw new ExpressionError(`unexpected "${tokens[position]}" after the expression`);
  return expression;
}

export function referencedKpis(expression: Expression): string[] {
  switch (expression.kind) {
    case 'number': return [];
    case 'kpi': return [expression.id];
    case 'negate': return referencedKpis(expression.operand);
    case 'binary': return [...new Set([...referencedKpis(expression.left), ...referencedKpis(expression.right)])];
  }
}

/** null when a referenced value is missing or a division is by zero. */
export function evaluateExpression(expression: Expression, values: (id: string) => number | null | undefined): number | null {
  switch (expression.kind) {
    case 'number': return expression.value;
    case 'kpi': return values(expression.id) ?? null;
    case 'negate': {
      const operand = evaluateExpression(expression.operand, values);
      return operand === null ? null : -operand;
    }
    case 'binary': {
      const left = evaluateExpression(expression.left, values);
      const right = evaluateExpression(expression.right, values);
      if (left === null || right === null) return null;
      switch (expression.operator) {
        case '+': return left + right;
        case '-': return left - right;
        case '*': return left * right;
        case '/': return right === 0 ? null : left / right;
      }
    }
  }
}
