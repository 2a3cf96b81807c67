import { createHash } from 'node:crypto';

/**
 * The member a key belongs to (highest random weight): every service computes the same owner from
 * the same members, and when one goes or comes only its own keys move.
 */
export function ownerOf(key: string, memberIds: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestWeight = '';
  for (const id of memberIds) {
    const weight = createHash('sha1').update(`${key}\u0000${id}`).digest('hex');
    if (weight > bestWeight) {
      best = id;
      bestWeight = weight;
    }
  }
  return best;
}
