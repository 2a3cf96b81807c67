/** Every error code a client may see in `extensions.code` (docs/api/errors.md), plus internal ones. */
export type ErrorCode =
  | 'BAD_USER_INPUT'
  | 'NOT_FOUND'
  | 'CONCURRENCY_CONFLICT'
  | 'DUPLICATE_ID'
  | 'STALE_READ'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'UNAVAILABLE'
  | 'RATE_LIMITED'
  | 'LIMIT_EXCEEDED'
  | 'BAD_CONFIGURATION'
  | 'INTERNAL';

/** An error that is a value with a code: thrown inside, turned into `extensions` at the GraphQL boundary. */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Safe-to-show facts for the client, e.g. `{ actualVersion: 3 }`. */
    readonly details: Readonly<Record<string, unknown>> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AppError';
  }
}

export const isAppError = (error: unknown): error is AppError => error instanceof AppError;
