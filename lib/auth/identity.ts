import type { Role } from './roles';

/** The caller as the gateway authenticated it; travels to subgraphs inside the internal token. */
export interface Identity {
  subject: string;
  role: Role;
}

/** The per-request facts every resolver may need. */
export interface RequestContext {
  identity: Identity;
  correlationId: string;
}
