/**
 * User-facing errors carry a stable code (tests, docs and chat rely on it), a sentence a chat
 * user understands, and optionally what was expected with an example. Nothing else (stack
 * traces, Kubernetes response bodies, secrets) is ever put in one.
 */
export const USAGE_ERROR_CODES = [
  'E_EMPTY',
  'E_TOO_LONG',
  'E_UNTERMINATED_QUOTE',
  'E_UNKNOWN_VERB',
  'E_MISSING_ARG',
  'E_INVALID_ARG',
  'E_UNEXPECTED_ARG',
  'E_UNKNOWN_OPTION',
  'E_DUPLICATE_ARG',
  'E_INVALID_IMAGE',
  'E_BAD_REVISION',
  'E_BAD_DURATION',
  'E_BAD_BATCHES',
] as const;
export type UsageErrorCode = (typeof USAGE_ERROR_CODES)[number];

export const RESOLVE_ERROR_CODES = [
  'E_UNKNOWN_APP',
  'E_UNKNOWN_ENV',
  'E_UNKNOWN_CLUSTER',
  'E_CLUSTER_NOT_IN_ENV',
  'E_APP_NOT_IN_ENV',
  'E_REGISTRY_NOT_ALLOWED',
  'E_IMAGE_REPO_MISMATCH',
  'E_REPLICAS_RANGE',
  'E_UNKNOWN_BATCH',
  'E_EMPTY_BATCH',
  'E_UNBATCHED',
  'E_NEEDS_ENV',
  'E_BAD_PROMOTION',
  'E_PODS_NOT_STATEFULSET',
  'E_GATE_WITHOUT_BATCHES',
] as const;
export type ResolveErrorCode = (typeof RESOLVE_ERROR_CODES)[number];

export type ChatErrorCode = UsageErrorCode | ResolveErrorCode;

export interface ChatError {
  readonly code: ChatErrorCode;
  /** One sentence naming what is wrong. */
  readonly message: string;
  /** What was expected, e.g. "an environment such as prod". */
  readonly expected?: string;
  /** A line that would work. */
  readonly example?: string;
  /** Close matches for a mistyped name. */
  readonly suggestions?: readonly string[];
}

export function chatError(
  code: ChatErrorCode,
  message: string,
  extra: { expected?: string | undefined; example?: string | undefined; suggestions?: readonly string[] | undefined } = {},
): ChatError {
  const e: { -readonly [K in keyof ChatError]: ChatError[K] } = { code, message };
  if (extra.expected !== undefined) e.expected = extra.expected;
  if (extra.example !== undefined) e.example = extra.example;
  if (extra.suggestions !== undefined && extra.suggestions.length > 0) e.suggestions = extra.suggestions;
  return e;
}
