/**
 * Every harness error. A checker verdict is never an exception: these are for
 * "the harness could not do what was asked" (exit 3 before a run starts) or
 * "the harness broke during a run".
 */
export type ErrorCode =
  | 'FL_ERR_CONFIG' // bad YAML, unknown preset, impossible option
  | 'FL_ERR_HISTORY_PARSE' // a history file could not be read
  | 'FL_ERR_UNSUPPORTED' // a backend cannot do a requested fault
  | 'FL_ERR_NODE_START' // a node would not start
  | 'FL_ERR_BACKEND' // the backend failed during a run
  | 'FL_ERR_INTERRUPTED' // SIGINT / SIGTERM
  | 'FL_ERR_INTERNAL';

export interface FaultlineErrorOptions {
  cause?: unknown;
  /** Where the problem is: a file, and a YAML key path or a line. */
  file?: string;
  path?: string;
  line?: number;
  hint?: string;
}

export class FaultlineError extends Error {
  readonly code: ErrorCode;
  readonly file: string | undefined;
  readonly path: string | undefined;
  readonly line: number | undefined;
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, options: FaultlineErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'FaultlineError';
    this.code = code;
    this.file = options.file;
    this.path = options.path;
    this.line = options.line;
    this.hint = options.hint;
  }

  /** "file:line: path: message" plus a hint line, for the terminal. */
  describe(): string {
    const where = [this.file && (this.line !== undefined ? `${this.file}:${this.line}` : this.file), this.path]
      .filter(Boolean)
      .join(': ');
    const head = where ? `${where}: ${this.message}` : this.message;
    return this.hint ? `${head}\nHint: ${this.hint}` : head;
  }
}

export const configError = (message: string, options: FaultlineErrorOptions = {}): FaultlineError =>
  new FaultlineError('FL_ERR_CONFIG', message, options);

export const unsupported = (message: string, options: FaultlineErrorOptions = {}): FaultlineError =>
  new FaultlineError('FL_ERR_UNSUPPORTED', message, options);

export const isFaultlineError = (e: unknown): e is FaultlineError => e instanceof FaultlineError;

/** Exit codes, as DESIGN.md fixes them. */
export const EXIT = { ok: 0, violated: 1, unknown: 2, harness: 3 } as const;
