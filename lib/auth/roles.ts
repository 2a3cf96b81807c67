/** viewer < operator < admin: a role includes every right of the roles below it. */
export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

const RANK: Record<Role, number> = { viewer: 1, operator: 2, admin: 3 };

export const isRole = (value: unknown): value is Role => typeof value === 'string' && (ROLES as readonly string[]).includes(value);

/** The highest role among those a token carries; undefined when none is known. */
export function highestRole(roles: readonly string[]): Role | undefined {
  let best: Role | undefined;
  for (const role of roles) if (isRole(role) && (!best || RANK[role] > RANK[best])) best = role;
  return best;
}

export const hasRole = (granted: Role | undefined, needed: Role): boolean => granted !== undefined && RANK[granted] >= RANK[needed];

/**
 * The contract's role matrix, by root field. Anything not listed needs viewer (every query and
 * subscription). One table, read by the gateway and again by each subgraph.
 */
export const REQUIRED_ROLE: Readonly<Record<string, Role>> = {
  'Mutation.registerCamera': 'admin',
  'Mutation.updateCamera': 'admin',
  'Mutation.decommissionCamera': 'admin',
  'Mutation.rebuildProjection': 'admin',
  'Mutation.recordEvent': 'operator',
  'Mutation.recordEvents': 'operator',
  'Mutation.acknowledgeEvent': 'operator',
  'Mutation.resolveEvent': 'operator',
  'Mutation.startStream': 'operator',
  'Mutation.stopStream': 'operator',
};

export const requiredRoleFor = (rootType: string, field: string): Role => {
  const listed = REQUIRED_ROLE[`${rootType}.${field}`];
  if (listed) return listed;
  // A mutation someone adds later must not silently become viewer-writable.
  return rootType === 'Mutation' ? 'admin' : 'viewer';
};
