import type { EventMetadata } from '../../../../lib/events/envelope';

/** Who issues a command and in which flow: becomes the metadata of every event it writes. */
export interface CommandContext {
  actor: string;
  correlationId: string;
  /** What caused the command (an AMQP message id for ingestion); null for a direct request. */
  causationId: string | null;
}

export const metadataOf = (context: CommandContext, commandHash?: string): EventMetadata => ({
  correlationId: context.correlationId,
  causationId: context.causationId,
  actor: context.actor,
  ...(commandHash ? { commandHash } : {}),
});

/** The result of a command as the API returns it (position as a number inside). */
export interface CommandResult {
  id: string;
  version: number;
  position: number;
}
