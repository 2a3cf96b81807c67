import type { WebSocket } from 'ws';

/** Bytes a connection may have waiting to be sent before its new frames are dropped. */
export const SOCKET_BUFFER_MAX_BYTES = 4 * 2 ** 20;

/** Where one graphql-ws subscription's `next` frames go when the gateway writes them itself. */
export interface SubscriptionChannel {
  socket: WebSocket;
  /** The graphql-ws operation id the client chose. */
  id: string;
}

/**
 * Writes graphql-ws `next` messages for one subscription straight to its socket, around
 * graphql-ws's own per-message path (which builds, validates and JSON-stringifies each message
 * per subscriber): the payload is serialized once for every subscriber of a selection, and only
 * the envelope `{"id":…,"type":"next","payload":…}` is written per subscriber. The message is
 * byte-for-byte what graphql-ws's `stringifyMessage` produces for the same payload (same keys,
 * same order). graphql-ws still owns everything else: it registered the operation, and it calls
 * `return()` on the subscription's iterator on `complete` or close, after which `closed` holds.
 *
 * A connection that cannot keep up (more than SOCKET_BUFFER_MAX_BYTES waiting) loses new frames:
 * memory stays bounded and other connections are not slowed.
 */
export class FrameWriter {
  private readonly prefix: string;

  constructor(
    private readonly channel: SubscriptionChannel,
    private readonly isClosed: () => boolean,
  ) {
    this.prefix = `{"id":${JSON.stringify(channel.id)},"type":"next","payload":`;
  }

  get closed(): boolean {
    return this.isClosed() || this.channel.socket.readyState !== this.channel.socket.OPEN;
  }

  /** Sends a payload already serialized as JSON; false when the bound dropped it. */
  write(payloadJson: string): boolean {
    if (this.closed) return true;
    const { socket } = this.channel;
    if (socket.bufferedAmount > SOCKET_BUFFER_MAX_BYTES) return false;
    socket.send(`${this.prefix}${payloadJson}}`);
    return true;
  }
}
