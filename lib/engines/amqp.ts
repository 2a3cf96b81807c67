import amqp, { type ChannelModel } from 'amqplib';
import { sleep } from '../async/sleep';
import type { Logger } from '../logging/logger';

type SetupFn = (connection: ChannelModel) => Promise<void>;

/**
 * A RabbitMQ connection that comes back by itself. Users register setup functions (declare topology,
 * open channels, start consumers); each runs on every (re)connect, so a broker restart heals without
 * any caller having to notice. Backoff is capped so recovery after an outage takes seconds.
 */
export class AmqpConnection {
  private connection: ChannelModel | undefined;
  private readonly setups: SetupFn[] = [];
  private stopped = false;
  private attempt = 0;
  private connecting: Promise<void> | undefined;
  private readonly waiters: Array<() => void> = [];

  constructor(
    private readonly url: string,
    private readonly logger: Logger,
    private readonly clientName: string,
  ) {}

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
    while (!this.stopped && !this.connection) {
      try {
        const connection = await amqp.connect(this.url, { clientProperties: { connection_name: this.clientName }, timeout: 3000 });
        connection.on('error', (error: Error) => this.logger.warn({ err: error.message }, 'amqp connection error'));
        connection.on('close', () => this.onClosed(connection));
        this.connection = connection;
        for (const setup of this.setups) await setup(connection);
        this.attempt = 0;
        this.logger.info({ client: this.clientName }, 'amqp connected');
        for (const wake of this.waiters.splice(0)) wake();
      } catch (error) {
        const failed = this.connection;
        this.connection = undefined;
        if (failed) await failed.close().catch(() => undefined);
        this.attempt += 1;
        const delay = Math.min(5000, 200 * 2 ** Math.min(this.attempt, 5));
        this.logger.warn({ err: (error as Error).message, retryInMs: delay }, 'amqp connect failed');
        await sleep(delay);
      }
    }
  }

  private onClosed(connection: ChannelModel): void {
    if (this.connection !== connection) return;
    this.connection = undefined;
    if (this.stopped) return;
    this.logger.warn('amqp connection closed; reconnecting');
    void this.connectLoop();
  }
}
