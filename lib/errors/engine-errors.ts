import { AppError } from './app-error';

/**
 * Wraps an engine failure as UNAVAILABLE (retryable, nothing half-written) unless it already is an
 * AppError. Adapters call this at their boundary so the domain never sees driver error classes.
 */
export function unavailable(engine: string, error: unknown): AppError {
  if (error instanceof AppError) return error;
  const reason = error instanceof Error ? error.message : String(error);
  return new AppError('UNAVAILABLE', `${engine} is unavailable: ${reason}`, { engine, retryable: true }, { cause: error });
}

/** True for an UNAVAILABLE AppError: nothing was refused, the same call may succeed later. */
export const isUnavailable = (error: unknown): error is AppError => error instanceof AppError && error.code === 'UNAVAILABLE';

/**
 * An engine's refusal of what it was given (e.g. a document over MongoDB's 16 MiB): retrying the
 * same request cannot succeed, so it is not UNAVAILABLE (an ingested message is dead-lettered).
 */
export function refusedByEngine(engine: string, error: unknown): AppError {
  const reason = error instanceof Error ? error.message : String(error);
  return new AppError('BAD_USER_INPUT', `${engine} refused the data: ${reason}`, { engine, retryable: false }, { cause: error });
}
