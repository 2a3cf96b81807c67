import type express from 'express';
import { relayGet } from '../../../../lib/http/relay-get';
import type { Logger } from '../../../../lib/logging/logger';
import type { LinkSigner } from './link-signer';

/** Marks a request one media service relays to another: it is answered there or not at all (no loops). */
export const RELAYED_HEADER = 'x-sightline-relayed';

/** Where some files are: here, at another media service (its URL), or nowhere. */
export type Locate = (id: string) => Promise<'here' | { url: string } | null>;

/**
 * The steps every signed file route takes before serving from its own disk: the link's signature
 * (403 when bad or expired), then where the files are (503 when that cannot be told), relaying to the
 * media service that has them (once). True when the request was answered here; false: serve it.
 */
export async function answeredBeforeServing(
  req: express.Request,
  res: express.Response,
  options: { signer: LinkSigner; signedId: string; id: string; locate: Locate; relayPath: string; logger: Logger },
): Promise<boolean> {
  const verdict = options.signer.verify(options.signedId, req.query.exp, req.query.sig);
  if (verdict !== 'ok') {
    res
      .status(403)
      .type('text/plain')
      .send(verdict === 'expired' ? 'link expired' : 'invalid link');
    return true;
  }
  let where: Awaited<ReturnType<Locate>>;
  try {
    where = await options.locate(options.id);
  } catch (error) {
    options.logger.warn({ id: options.id, err: (error as Error).message }, 'owner lookup failed');
    res.status(503).type('text/plain').send('media store unavailable');
    return true;
  }
  if (where === 'here' || where === null || req.headers[RELAYED_HEADER] !== undefined) return false;
  const query = new URLSearchParams({ exp: String(req.query.exp), sig: String(req.query.sig) });
  relayGet(req, res, [new URL(`${options.relayPath}?${query.toString()}`, where.url)], { [RELAYED_HEADER]: '1' });
  return true;
}
