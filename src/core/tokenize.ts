import { chatError, type ChatError } from './errors.ts';
import { err, ok, type Result } from './result.ts';

/**
 * Splits normalized text into words the way a shell would, without a shell's expansions:
 * double or single quotes group words, a backslash escapes the next character inside double
 * quotes. `key="a b"` stays one word. Quoted text is never read as a flag or a key.
 */
export interface Token {
  readonly text: string;
  /** Text before the first `=` was unquoted and the `=` itself was unquoted. */
  readonly key?: string;
  readonly value?: string;
  /** Some part of the word was quoted: it can't be a flag or a connector keyword. */
  readonly quoted: boolean;
}

export function tokenize(input: string): Result<Token[], ChatError> {
  const tokens: Token[] = [];
  let i = 0;
  const n = input.length;
  while (i < n) {
    while (i < n && input[i] === ' ') i++;
    if (i >= n) break;
    let text = '';
    let quoted = false;
    let eqAt = -1; // position in `text` of the first unquoted '='
    let keyQuoted = false;
    while (i < n && input[i] !== ' ') {
      const c = input[i] as string;
      if (c === '"' || c === "'") {
        const close = c;
        const start = i;
        i++;
        quoted = true;
        if (eqAt < 0) keyQuoted = true;
        let closed = false;
        while (i < n) {
          const q = input[i] as string;
          if (q === close) {
            closed = true;
            i++;
            break;
          }
          if (q === '\\' && close === '"' && i + 1 < n) {
            text += input[i + 1];
            i += 2;
            continue;
          }
          text += q;
          i++;
        }
        if (!closed) {
          return err(
            chatError('E_UNTERMINATED_QUOTE', `The quote opened at character ${start + 1} is never closed.`, {
              expected: 'a closing quote',
              example: '/deploy web v1.4.2 to prod --reason "hotfix for login"',
            }),
          );
        }
        continue;
      }
      if (c === '=' && eqAt < 0 && !keyQuoted) eqAt = text.length;
      text += c;
      i++;
    }
    if (eqAt > 0 && /^[A-Za-z][A-Za-z0-9_-]*$/.test(text.slice(0, eqAt))) {
      tokens.push({ text, key: text.slice(0, eqAt).toLowerCase(), value: text.slice(eqAt + 1), quoted });
    } else {
      tokens.push({ text, quoted });
    }
  }
  return ok(tokens);
}

/**
 * Quotes a value so that normalizing and tokenizing give it back unchanged. Plain values stay
 * bare; commas are bare only in lists, where they separate items.
 */
export function quoteIfNeeded(value: string, isList = false): string {
  const safe = isList ? /^[A-Za-z0-9_.:/@%+,-]+$/ : /^[A-Za-z0-9_.:/@%+-]+$/;
  if (safe.test(value) && !value.endsWith('.')) return value;
  return '"' + value.replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '"';
}
