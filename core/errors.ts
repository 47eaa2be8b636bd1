/**
 * Typed errors. Every error carries context (source, stream, HTTP status…) and its cause;
 * `userFacing` errors are printed as a message without a stack trace by the CLI.
 */
export interface ErrorContext {
  readonly source?: string;
  readonly stream?: string;
  readonly status?: number;
  readonly [key: string]: unknown;
}

export class KpiError extends Error {
  readonly context: ErrorContext;
  /** A mistake the user can fix (bad config, bad argument): shown without a stack trace. */
  readonly userFacing: boolean = false;

  constructor(message: string, options: { cause?: unknown; context?: ErrorContext } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.context = options.context ?? {};
  }
}

/** One problem in pipeline.yaml: where it is and what to write instead. */
export interface ConfigProblem {
  readonly path: string;
  readonly message: string;
}

export class ConfigError extends KpiError {
  override readonly userFacing = true;
  readonly problems: readonly ConfigProblem[];
  readonly file: string;

  constructor(file: string, problems: readonly ConfigProblem[]) {
    super(`${file}: ${problems.length} problem${problems.length === 1 ? '' : 's'}\n` +
      problems.map((p) => `  - ${p.path || '(top level)'}: ${p.message}`).join('\n'));
    this.problems = problems;
    this.file = file;
  }
}

/** A bad command-line argument. */
export class UsageError extends KpiError {
  override readonly userFacing = true;
}

/** A source API call failed (after retries, where the failure was retryable). */
export class SourceError extends KpiError {
  readonly retryable: boolean;
  /** The server's own wait hint (Retry-After or a vendor header), in ms. */
  readonly retryAfterMs: number | undefined;
  constructor(message: string, options: { cause?: unknown; context: ErrorContext; retryable?: boolean; retryAfterMs?: number }) {
    super(message, options);
    this.retryable = options.retryable ?? false;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** A missing or malformed secret. The message names the secret, never its value. */
export class SecretError extends KpiError {
  override readonly userFacing = true;
}

/**
 * One vendor record a mapper cannot turn into a row (a date it cannot read, text where the
 * contract says number): the record goes to the `_rejects` table and the run goes on. Only mappers
 * throw it; any other error from a mapper is a bug and stops the run.
 */
export class RecordError extends KpiError {
  /** The vendor field at fault, when one is. */
  readonly field: string | undefined;
  constructor(message: string, options: { field?: string; cause?: unknown } = {}) {
    super(message, { ...(options.cause === undefined ? {} : { cause: options.cause }), context: options.field ? { field: options.field } : {} });
    this.field = options.field;
  }
}

/**
 * A vendor value for an error message: JSON, cut to 80 characters (a huge string stays whole in the
 * record's raw payload in `_rejects`, not in the reason), never cut between the halves of an emoji.
 */
export function shownValue(value: unknown): string {
  let text: string;
  try {
    text = value === undefined ? 'undefined' : JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  if (text.length <= 80) return text;
  const cut = /[\uD800-\uDBFF]/.test(text[79]!) ? 79 : 80;
  return `${text.slice(0, cut)}…`;
}

export class QueryError extends KpiError {}

export class LakeError extends KpiError {}

export class MailError extends KpiError {}

export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
