import { AppError } from '../../../../lib/errors/app-error';

/** Relay cursors: the sort values of the last row, opaque (base64url JSON) to clients. */
export const encodeCursor = (sort: readonly unknown[]): string => Buffer.from(JSON.stringify(sort)).toString('base64url');

export function decodeCursor(cursor: string | null | undefined): unknown[] | undefined {
  if (cursor === null || cursor === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === 'string' || typeof v === 'number')) return value;
  } catch {
    // fall through
  }
  throw new AppError('BAD_USER_INPUT', 'after is not a cursor returned by this API');
}

export function pageSize(first: number | null | undefined, max = 500): number {
  const size = first ?? 20;
  if (!Number.isInteger(size) || size < 0 || size > max) throw new AppError('BAD_USER_INPUT', `first must be between 0 and ${max}`);
  return size;
}
