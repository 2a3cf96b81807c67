import { createTokenVerifier as createVerifier } from '../../../gateway/src/auth/user-token';

/** A token verifier that answers only the identity: what most token tests look at. */
export const createTokenVerifier = (...args: Parameters<typeof createVerifier>) => {
  const verify = createVerifier(...args);
  return async (authorization: string | undefined) => (await verify(authorization)).identity;
};
