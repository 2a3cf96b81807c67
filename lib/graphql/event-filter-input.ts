/** The contract's `EventFilter` input as resolvers receive it: one definition for every reader. */
export interface EventFilterInput {
  cameraIds?: string[] | null;
  sites?: string[] | null;
  types?: string[] | null;
  severities?: string[] | null;
  statuses?: string[] | null;
  from?: string | null;
  to?: string | null;
  text?: string | null;
}
