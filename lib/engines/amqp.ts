import amqp, { type ChannelModel } from 'amqplib';
import { sleep } from '../async/sleep';
import type { Logger } from '../logging/logger';
import { describeNode, nodeUrls } from './node-urls';

type SetupFn = (connection: ChannelModel) => Promise<void>;

/** Seconds without traffic after which either side considers the connection dead (unless the URL sets `heartbeat`). */
const HEARTBEAT_SECONDS = 20;

/**
 * A RabbitMQ connection that comes back by itself. Users register setup functions (declare topology,
 * open channels, start consumers); each runs on every (re)connect, so a broker restart heals without
 * any caller having to notice. Backoff is capped so recovery after an outage takes seconds.
 *
 * `url` may list a cluster's nodes, comma-separated: the first that accepts is used (the list's
 * order is the preference), and when the connection is lost the next node is tried first, then
 * the others in turn, at once; the backoff starts only after every node failed once. The setups
 * rerun on the new node, so consumers, exclusive queues and confirm channels move with it.
 */
export class AmqpConnection {
  private connection: ChannelModel | undefined;
  private readonly setups: SetupFn[] = [];
  private stopped = false;
  private attempt = 0;
  private connecting: Promise<void> | undefined;
  private readonly waiters: Array<() => void> = [];
  private readonly urls: string[];
  /** The node tried first at the next connect. */
  private next = 0;
  /** The node of the current connection. */
  private node = 0;

  constructor(
    url: string,
    private readonly logger: Logger,
    private readonly clientName: string,
  ) {
    this.urls = nodeUrls(url);
    if (this.urls.length === 0) throw new Error('AmqpConnection needs at least one URL');
  }

  /** The node of the current connection (`amqp://host:port`, no credentials), if connected. */
  get connectedNode(): string | undefined {
    return this.connection ? describeNode(this.urls[this.node] as string) : undefined;
  }

  /** Registers a setup; runs it now if connected. Returns once it ran or will run on connect. */
  async use(setup: SetupFn): Promise<void> {
    this.setups.push(setup);
    if (this.connection) await setup(this.connection);
  }

  start(): void {
    this.stopped = false;
    void this.connectLoop();
  }

  get connected(): boolean {
    return this.connection !== undefined;
  }

  /** Resolves when connected (now or later); rejects after `timeoutMs`. */
  waitConnected(timeoutMs: number): Promise<void> {
    if (this.connection) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('RabbitMQ not connected')), timeoutMs);
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  current(): ChannelModel | undefined {
    return this.connection;
  }

  async close(): Promise<void> {
    this.stopped = true;
    const connection = this.connection;
    this.connection = undefined;
    if (connection) await connection.close().catch(() => undefined);
  }

  private connectLoop(): Promise<void> {
    if (!this.connecting) {
      this.connecting = this.runConnectLoop().finally(() => {
        this.connecting = undefined;
      });
    }
    return this.connecting;
  }

  private async runConnectLoop(): Promise<void> {
    let failedInRound = 0;
    while (!this.stopped && !this.connection) {
      const index = this.next;
      const url = this.urls[index] as string;
      try {
        const connection = await amqp.connect(withHeartbeat(url), { clientProperties: { connection_name: this.clientName }, timeout: 3000 });
        if (this.stopped) {
          // Closed while this connect was under way.
          await connection.close().catch(() => undefined);
          break;
        }
        connection.on('error', (error: Error) => this.logger.warn({ err: error.message }, 'amqp connection error'));
        connection.on('close', () => this.onClosed(connection));
        this.connection = connection;
        this.node = index;
        for (const setup of this.setups) await setup(connection);
        this.attempt = 0;
        this.logger.info({ client: this.clientName, node: describeNode(url) }, 'amqp connected');
        for (const wake of this.waiters.splice(0)) wake();
      } catch (error) {
        const failed = this.connection;
        this.connection = undefined;
        if (failed) await failed.close().catch(() => undefined);
        this.next = (index + 1) % this.urls.length;
        failedInRound += 1;
        if (failedInRound < this.urls.length) {
          this.logger.warn({ err: (error as Error).message, node: describeNode(url) }, 'amqp connect failed; trying the next node');
          continue;
        }
        failedInRound = 0;
        this.attempt += 1;
        const delay = Math.min(5000, 200 * 2 ** Math.min(this.attempt, 5));
        this.logger.warn({ err: (error as Error).message, node: describeNode(url), retryInMs: delay }, 'amqp connect failed');
        await sleep(delay);
      }
    }
  }

  private onClosed(connection: ChannelModel): void {
    if (this.connection !== connection) return;
    this.connection = undefined;
    if (this.stopped) return;
    // The node that dropped us is probably the one in trouble: the next one is tried first.
    this.next = (this.node + 1) % this.urls.length;
    this.logger.warn({ node: describeNode(this.urls[this.node] as string) }, 'amqp connection closed; reconnecting');
    void this.connectLoop();
  }
}

/** A lost node is noticed within about two heartbeats even where no TCP reset arrives (a partition, a hung host). */
function withHeartbeat(url: string): string {
  const parsed = new URL(url);
  if (!parsed.searchParams.has('heartbeat')) parsed.searchParams.set('heartbeat', String(HEARTBEAT_SECONDS));
  return parsed.toString();
}
