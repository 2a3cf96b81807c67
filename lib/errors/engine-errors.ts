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
