import type { ErrorRequestHandler } from 'express';

/**
 * Errors raised before GraphQL runs (body too large, malformed JSON) as GraphQL-shaped JSON with
 * a code, instead of Express's HTML page.
 */
export const bodyErrorHandler: ErrorRequestHandler = (error: { type?: string; status?: number; limit?: number }, _req, res, next) => {
  if (res.headersSent) return next(error);
  if (error.type === 'entity.too.large') {
    res
      .status(413)
      .json({ errors: [{ message: `request body exceeds ${error.limit ?? 'the'} bytes`, extensions: { code: 'LIMIT_EXCEEDED', maxBytes: error.limit } }] });
    return;
  }
  if (error.type === 'entity.parse.failed') {
    res.status(400).json({ errors: [{ message: 'request body is not valid JSON', extensions: { code: 'BAD_REQUEST' } }] });
    return;
  }
  const status = typeof error.status === 'number' && error.status >= 400 && error.status < 500 ? error.status : 500;
  res
    .status(status)
    .json({ errors: [{ message: status === 500 ? 'internal error' : 'bad request', extensions: { code: status === 500 ? 'INTERNAL' : 'BAD_REQUEST' } }] });
};
