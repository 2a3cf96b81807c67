/** What the Elasticsearch client puts on a failed request's error: the HTTP status and the error type. */
type ElasticError = { meta?: { statusCode?: number; body?: { error?: { type?: string } } } };

export const statusOf = (error: unknown): number | undefined => (error as ElasticError).meta?.statusCode;

export const errorTypeOf = (error: unknown): string | undefined => (error as ElasticError).meta?.body?.error?.type;
