import type { z } from 'zod';
import type { AnySpec, CommandOf, Registry } from './command-spec.ts';
import { chatError, type ChatError, type ChatErrorCode, USAGE_ERROR_CODES } from './errors.ts';
import { normalizeChatText, type NormalizeOptions } from './normalize.ts';
import { err, ok, type Result } from './result.ts';
import { closest } from './suggest.ts';
import { quoteIfNeeded, tokenize, type Token } from './tokenize.ts';

/** Longer than any real command; keeps pathological pastes from costing anything. */
export const MAX_COMMAND_LENGTH = 2000;
/** The umbrella verb: `/ops deploy web ...` means `/deploy web ...`. */
export const UMBRELLA = 'ops';

export type ParseOptions = NormalizeOptions;

/**
 * Chat text to a validated command, or a usage error with a stable code. Never throws for
 * any input: every failure is a value (the property tests feed it 100k random lines).
 */
export function parseCommand<R extends Registry>(text: string, registry: R, options: ParseOptions = {}): Result<CommandOf<R>, ChatError> {
  if (text.length > MAX_COMMAND_LENGTH) {
    return err(chatError('E_TOO_LONG', `That command is ${text.length} characters long; the limit is ${MAX_COMMAND_LENGTH}.`));
  }
  const tokenized = tokenize(normalizeChatText(text, options));
  if (!tokenized.ok) return tokenized;
  const words = dropLeadingMentions(tokenized.value);
  const verbResult = takeVerb(words, registry);
  if (!verbResult.ok) return verbResult;
  const { spec, rest } = verbResult.value;
  const bound = bind(spec, rest);
  if (!bound.ok) return bound;
  const parsed = spec.args.safeParse(bound.value);
  if (!parsed.success) return err(explainIssue(spec, parsed.error.issues, bound.value));
  return ok({ verb: spec.verb, args: parsed.data } as CommandOf<R>);
}

function dropLeadingMentions(tokens: Token[]): Token[] {
  let i = 0;
  while (i < tokens.length && !(tokens[i]?.quoted ?? true) && /^@\S+$/.test(tokens[i]?.text ?? '')) i++;
  return tokens.slice(i);
}

function takeVerb(tokens: Token[], registry: Registry): Result<{ spec: AnySpec; rest: Token[] }, ChatError> {
  let rest = tokens;
  let first = rest[0];
  if (first === undefined) return err(emptyError(registry));
  let word = first.text.replace(/^\//, '').toLowerCase();
  if (word === UMBRELLA && !first.quoted) {
    rest = rest.slice(1);
    first = rest[0];
    if (first === undefined) return err(emptyError(registry));
    word = first.text.replace(/^\//, '').toLowerCase();
  }
  const spec = first.quoted || first.key !== undefined ? undefined : registry[word];
  if (spec === undefined || !Object.hasOwn(registry, word)) {
    const suggestions = closest(word, Object.keys(registry));
    const hint = suggestions.length > 0 ? ` Did you mean ${suggestions.map((s) => `\`${s}\``).join(' or ')}?` : '';
    return err(
      chatError('E_UNKNOWN_VERB', `I don't know the command "${truncate(first.text)}".${hint}`, {
        expected: 'a command such as deploy, scale, rollback or help',
        example: 'help',
        suggestions,
      }),
    );
  }
  return ok({ spec, rest: rest.slice(1) });
}

function emptyError(registry: Registry): ChatError {
  return chatError('E_EMPTY', 'There is no command in that message.', {
    expected: `one of: ${Object.keys(registry).join(', ')}`,
    example: 'help',
  });
}

type Raw = Record<string, string | true>;

function canonicalKey(spec: AnySpec, name: string): string | undefined {
  const lower = name.toLowerCase();
  const key = spec.aliases?.[lower] ?? lower;
  return Object.hasOwn(spec.args.shape, key) ? key : undefined;
}

function knownKeys(spec: AnySpec): string[] {
  return [...Object.keys(spec.args.shape), ...Object.keys(spec.aliases ?? {})];
}

function bind(spec: AnySpec, tokens: Token[]): Result<Raw, ChatError> {
  const raw: Raw = {};
  const set = (key: string, value: string | true, shown: string): ChatError | undefined => {
    const before = raw[key];
    if (before !== undefined && before !== value) {
      return chatError('E_DUPLICATE_ARG', `${label(spec, key)} is given twice ("${truncate(String(before))}" and "${truncate(shown)}").`, {
        expected: 'each argument once',
        example: spec.examples[0],
      });
    }
    raw[key] = value;
    return undefined;
  };
  const isFlagWord = (t: Token | undefined): boolean => t !== undefined && !t.quoted && t.key === undefined && /^--[A-Za-z]/.test(t.text);
  let slot = 0;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as Token;
    let problem: ChatError | undefined;
    if (isFlagWord(t)) {
      const body = t.text.slice(2);
      const eq = body.indexOf('=');
      const name = eq >= 0 ? body.slice(0, eq) : body;
      const key = canonicalKey(spec, name);
      if (key === undefined) return err(unknownOption(spec, `--${name}`, name));
      if (spec.flags?.includes(key) === true) {
        problem = set(key, eq >= 0 ? body.slice(eq + 1) : true, t.text);
      } else if (eq >= 0) {
        problem = set(key, body.slice(eq + 1), t.text);
      } else {
        const next = tokens[i + 1];
        if (next === undefined || isFlagWord(next)) {
          return err(chatError('E_MISSING_ARG', `--${name} needs a value: ${expectOf(spec, key)}.`, { expected: expectOf(spec, key), example: spec.examples[0] }));
        }
        problem = set(key, next.text, next.text);
        i++;
      }
    } else if (t.key !== undefined) {
      const key = canonicalKey(spec, t.key);
      if (key === undefined) return err(unknownOption(spec, `${t.key}=`, t.key));
      problem = set(key, t.value ?? '', t.text);
    } else if (!t.quoted && spec.keywords?.[t.text.toLowerCase()] !== undefined) {
      const key = spec.keywords[t.text.toLowerCase()] as string;
      const next = tokens[i + 1];
      if (next === undefined) {
        return err(chatError('E_MISSING_ARG', `"${t.text}" must be followed by ${expectOf(spec, key)}.`, { expected: expectOf(spec, key), example: spec.examples[0] }));
      }
      problem = set(key, next.text, next.text);
      i++;
    } else {
      // The next positional slot that is free and accepts this word.
      let placed = false;
      while (slot < spec.positional.length) {
        const s = spec.positional[slot] as { key: string; accepts?: (w: string) => boolean };
        slot++;
        if (raw[s.key] !== undefined) continue;
        if (s.accepts !== undefined && !s.accepts(t.text)) continue;
        const split = spec.splitWord?.(t.text, s.key);
        if (split !== undefined) {
          for (const [k, v] of Object.entries(split)) {
            problem ??= set(k, v, t.text);
          }
        } else {
          problem = set(s.key, t.text, t.text);
        }
        placed = true;
        break;
      }
      if (!placed) {
        return err(
          chatError('E_UNEXPECTED_ARG', `I don't know what "${truncate(t.text)}" means here.`, {
            expected: `usage: ${spec.usage}`,
            example: spec.examples[0],
          }),
        );
      }
    }
    if (problem !== undefined) return err(problem);
  }
  return ok(raw);
}

function unknownOption(spec: AnySpec, shown: string, name: string): ChatError {
  const suggestions = closest(name, knownKeys(spec));
  const hint = suggestions.length > 0 ? ` Did you mean ${suggestions.map((s) => `\`${s}\``).join(' or ')}?` : '';
  return chatError('E_UNKNOWN_OPTION', `\`${spec.verb}\` has no option "${truncate(shown)}".${hint}`, {
    expected: `usage: ${spec.usage}`,
    example: spec.examples[0],
    suggestions,
  });
}

function expectOf(spec: AnySpec, key: string): string {
  return spec.argHelp[key]?.expect ?? key;
}

function label(spec: AnySpec, key: string): string {
  const h = spec.argHelp[key]?.expect;
  return h === undefined ? `"${key}"` : `"${key}" (${h})`;
}

function truncate(s: string, max = 60): string {
  return s.length > max ? s.slice(0, max - 1) + '…' : s;
}

const USAGE_CODES: ReadonlySet<string> = new Set(USAGE_ERROR_CODES);

function explainIssue(spec: AnySpec, issues: readonly z.core.$ZodIssue[], raw: Raw): ChatError {
  const issue = issues[0];
  const key = typeof issue?.path[0] === 'string' ? issue.path[0] : undefined;
  const expected = key === undefined ? `usage: ${spec.usage}` : expectOf(spec, key);
  const example = spec.examples[0];
  if (issue === undefined || key === undefined) {
    return chatError('E_INVALID_ARG', issue?.message ?? 'Those arguments do not fit together.', { expected, example });
  }
  const given = raw[key];
  if (given === undefined) {
    return chatError('E_MISSING_ARG', `\`${spec.verb}\` needs ${expected}.`, { expected: `usage: ${spec.usage}`, example });
  }
  const params = issue.code === 'custom' ? (issue.params as { code?: string } | undefined) : undefined;
  const code = params?.code !== undefined && USAGE_CODES.has(params.code) ? (params.code as ChatErrorCode) : 'E_INVALID_ARG';
  const shown = given === true ? `--${key}` : `"${truncate(given)}"`;
  const why = issue.code === 'custom' ? `: ${issue.message}` : '';
  return chatError(code, `${shown} is not ${expected}${why}.`, { expected, example });
}

/**
 * The canonical text of a command: the verb and every argument as key=value in the spec's
 * order. Parsing it gives the same command back (a property test holds us to that).
 */
export function renderCanonical(spec: AnySpec, args: Readonly<Record<string, unknown>>): string {
  const parts: string[] = [spec.verb];
  for (const key of Object.keys(spec.args.shape)) {
    const v = args[key];
    if (v === undefined || v === false) continue;
    if (v === true) {
      parts.push(`--${key}`);
      continue;
    }
    parts.push(`${key}=${quoteIfNeeded(formatValue(v), Array.isArray(v))}`);
  }
  return parts.join(' ');
}

function formatValue(v: unknown): string {
  if (Array.isArray(v)) return v.map((x) => (Array.isArray(x) ? x.map(String).join('+') : formatValue(x))).join(',');
  return String(v);
}
