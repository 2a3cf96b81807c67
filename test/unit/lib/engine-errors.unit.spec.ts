import { AppError } from '../../../lib/errors/app-error';
import { isUnavailable, refusedByEngine, unavailable } from '../../../lib/errors/engine-errors';

describe('engine errors', () => {
  it('wraps a driver failure as a retryable UNAVAILABLE naming the engine, and leaves an AppError as it is', () => {
    const cause = new Error('connection refused');
    const wrapped = unavailable('mongodb', cause);
    expect(wrapped).toMatchObject({
      code: 'UNAVAILABLE',
      message: 'mongodb is unavailable: connection refused',
      details: { engine: 'mongodb', retryable: true },
    });
    expect(wrapped.cause).toBe(cause);
    const conflict = new AppError('CONCURRENCY_CONFLICT', 'taken');
    expect(unavailable('mongodb', conflict)).toBe(conflict);
  });

  it('tells UNAVAILABLE apart from every other failure', () => {
    expect(isUnavailable(unavailable('rabbitmq', 'gone'))).toBe(true);
    expect(isUnavailable(new AppError('UNAVAILABLE', 'camera host could not be resolved now'))).toBe(true);
    expect(isUnavailable(refusedByEngine('mongodb', new Error('too large')))).toBe(false);
    expect(isUnavailable(new AppError('BAD_USER_INPUT', 'not allowed'))).toBe(false);
    expect(isUnavailable(Object.assign(new Error('not ours'), { code: 'UNAVAILABLE' }))).toBe(false);
    expect(isUnavailable(undefined)).toBe(false);
  });
});
