import os from 'node:os';
import { CameraHostAllowList } from '../security/camera-hosts';
import { EnvReader } from './env';
import { DEVELOPMENT_SECRETS, isLoopbackHost, secretProblems } from './secrets';

/**
 * The whole configuration of every Sightline process, read and validated once at start-up.
 * Every name here is documented in README.md and used by docker-compose.yml (a test checks both).
 */
export interface Config {
  readonly production: boolean;
  readonly logLevel: string;
  /** Prefix of every database, index, exchange and queue name: isolates test runs from each other. */
  readonly namespace: string;
  readonly ports: { gateway: number; command: number; query: number; media: number };
  readonly host: string;
  readonly subgraphUrls: { command: string; query: string; media: string };
  readonly mongodb: { url: string; database: string };
  /** One URL, or a cluster's nodes as a comma-separated list (lib/engines/node-urls.ts splits it). */
  readonly amqp: { url: string };
  readonly elasticsearch: { url: string };
  readonly auth: {
    /** HS256 secret for user tokens in development; empty in production where JWKS is used. */
    jwtSecret: string;
    jwksUrl: string | undefined;
    jwtIssuer: string | undefined;
    jwtAudience: string | undefined;
    /** Signs the gateway -> subgraph header so subgraphs refuse anything that bypassed the gateway. */
    internalSecret: string;
  };
  readonly media: {
    hlsDir: string;
    publicBaseUrl: string;
    linkSecret: string;
    linkTtlSeconds: number;
    maxSessions: number;
    idleTimeoutSeconds: number;
    ffmpegPath: string;
    /** RTSP connect/read timeout handed to ffmpeg's `-timeout`. */
    rtspTimeoutSeconds: number;
    /** Consecutive ffmpeg failures without reaching LIVE after which a session is FAILED. */
    maxReconnectAttempts: number;
    /** This media service among the others on the same store (MEDIA_NODE_ID). */
    nodeId: string;
    /** Where the other media services reach this one (HLS relaying). */
    advertisedUrl: string;
    memberTtlSeconds: number;
    recordingsDir: string;
    clipsDir: string;
    /** RECORDING_MAX_BYTES: every recording of this media service together. */
    recordingMaxBytes: number;
    clipPreSeconds: number;
    clipPostSeconds: number;
    clipRetentionDays: number;
    cameraOfflineSeconds: number;
  };
  /** Where camera URLs may point (registration on the command side, every ffmpeg spawn on the media side). */
  readonly cameraAllowedHosts: CameraHostAllowList;
  readonly readYourWritesTimeoutMs: number;
  /** The write side (command subgraph): event store recovery, outbox relay, AMQP ingestion. */
  readonly writeSide: {
    recoveryTimeoutMs: number;
    relayLeaseTtlMs: number;
    ingestPrefetch: number;
    /** Largest ingest message body accepted; a bigger one is dead-lettered. */
    ingestMaxMessageBytes: number;
    /** Failed attempts of an ingest message, while the event store answered, before it is dead-lettered. */
    ingestMaxAttempts: number;
    /** The `occurredAt` an event may carry: not before `earliestMs`, not more than `maxAheadMs` ahead of our clock. */
    occurredAt: { earliestMs: number; maxAheadMs: number };
  };
  /** The gateway's protection and subscription limits. */
  readonly gateway: {
    supergraphPollMs: number;
    maxDepth: number;
    maxCost: number;
    maxBodyBytes: number;
    rateLimitPerSecond: number;
    rateLimitBurst: number;
    /** Pending pushes kept per subscription; the oldest are dropped beyond it. */
    subscriberQueueMax: number;
    wsConnectionInitTimeoutMs: number;
    /** Active graphql-ws subscriptions per connection, and per identity across connections. */
    subscriptionsPerConnectionMax: number;
    subscriptionsPerIdentityMax: number;
    /** Distinct eventStatsUpdated groups (filter, interval, selection): each runs one eventStats a second while events arrive. */
    eventStatsGroupsMax: number;
  };
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const read = new EnvReader(env);
  const production = read.string('NODE_ENV', 'development') === 'production';
  const host = read.string('SIGHTLINE_HOST', '127.0.0.1');
  const ports = {
    gateway: read.int('GATEWAY_PORT', 4000, 0, 65535),
    command: read.int('COMMAND_PORT', 4001, 0, 65535),
    query: read.int('QUERY_PORT', 4002, 0, 65535),
    media: read.int('MEDIA_PORT', 4003, 0, 65535),
  };
  const namespace = read.string('SIGHTLINE_NAMESPACE', 'sightline');
  read.require(/^[a-z][a-z0-9_-]{0,40}$/.test(namespace), 'SIGHTLINE_NAMESPACE must match [a-z][a-z0-9_-]{0,40}');

  const occurredAtMin = read.string('EVENT_OCCURRED_AT_MIN', '2000-01-01T00:00:00Z');
  read.require(!Number.isNaN(Date.parse(occurredAtMin)), 'EVENT_OCCURRED_AT_MIN must be an ISO-8601 date-time');

  const jwksUrl = read.optionalString('JWKS_URL');
  // With a JWKS, user tokens are never checked with a shared secret: no default one then.
  const jwtSecret = read.string('JWT_SECRET', production || jwksUrl ? '' : DEVELOPMENT_SECRETS.JWT_SECRET);
  read.require(!production || jwksUrl !== undefined || jwtSecret !== '', 'production needs JWKS_URL or JWT_SECRET');
  const internalSecret = read.string('INTERNAL_SECRET', production ? '' : DEVELOPMENT_SECRETS.INTERNAL_SECRET);
  const linkSecret = read.string('HLS_LINK_SECRET', production ? '' : DEVELOPMENT_SECRETS.HLS_LINK_SECRET);
  const secretsInUse = { INTERNAL_SECRET: internalSecret, HLS_LINK_SECRET: linkSecret, ...(jwtSecret !== '' ? { JWT_SECRET: jwtSecret } : {}) };
  read.report(secretProblems(production, host, secretsInUse));
  const jwtIssuer = read.optionalString('JWT_ISSUER');
  const jwtAudience = read.optionalString('JWT_AUDIENCE');
  // A token of the same identity provider issued for another application must not open this one.
  read.require(!production || jwtIssuer !== undefined, 'production needs JWT_ISSUER (the `iss` of user tokens)');
  read.require(!production || jwtAudience !== undefined, 'production needs JWT_AUDIENCE (the `aud` of user tokens)');
  const cameraHosts = CameraHostAllowList.parse(read.string('CAMERA_ALLOWED_HOSTS', ''));
  for (const problem of cameraHosts.problems) read.require(false, `CAMERA_ALLOWED_HOSTS: ${problem}`);

  const config: Config = {
    production,
    logLevel: read.string('LOG_LEVEL', production ? 'info' : 'info'),
    namespace,
    ports,
    host,
    subgraphUrls: {
      command: read.url('COMMAND_URL', `http://127.0.0.1:${ports.command}/graphql`, ['http:', 'https:']),
      query: read.url('QUERY_URL', `http://127.0.0.1:${ports.query}/graphql`, ['http:', 'https:']),
      media: read.url('MEDIA_URL', `http://127.0.0.1:${ports.media}/graphql`, ['http:', 'https:']),
    },
    mongodb: {
      url: read.url('MONGODB_URL', 'mongodb://127.0.0.1:27017', ['mongodb:', 'mongodb+srv:']),
      database: read.string('MONGODB_DATABASE', namespace),
    },
    // Checked node by node, kept as one comma-separated string (blanks around the commas removed).
    amqp: { url: read.urlList('AMQP_URL', 'amqp://guest:guest@127.0.0.1:5672', ['amqp:', 'amqps:']).join(',') },
    elasticsearch: { url: read.urlList('ELASTICSEARCH_URL', 'http://127.0.0.1:9200', ['http:', 'https:']).join(',') },
    auth: {
      jwtSecret,
      jwksUrl,
      jwtIssuer,
      jwtAudience,
      internalSecret,
    },
    media: {
      hlsDir: read.string('HLS_DIR', '.data/hls'),
      publicBaseUrl: read.string('PUBLIC_BASE_URL', `http://127.0.0.1:${ports.gateway}`),
      linkSecret,
      linkTtlSeconds: read.int('HLS_LINK_TTL_SECONDS', 3600, 10, 7 * 24 * 3600),
      maxSessions: read.int('MEDIA_MAX_SESSIONS', 24, 1, 1000),
      idleTimeoutSeconds: read.int('MEDIA_IDLE_TIMEOUT_SECONDS', 60, 5, 24 * 3600),
      ffmpegPath: read.string('FFMPEG_PATH', 'ffmpeg'),
      rtspTimeoutSeconds: read.int('MEDIA_RTSP_TIMEOUT_SECONDS', 5, 1, 60),
      maxReconnectAttempts: read.int('MEDIA_MAX_RECONNECT_ATTEMPTS', 10, 1, 1000),
      nodeId: read.string('MEDIA_NODE_ID', `${os.hostname()}:${ports.media}`),
      advertisedUrl: read.url('MEDIA_ADVERTISED_URL', `http://${isLoopbackHost(host) ? '127.0.0.1' : os.hostname()}:${ports.media}`, ['http:', 'https:']),
      memberTtlSeconds: read.int('MEDIA_MEMBER_TTL_SECONDS', 6, 2, 600),
      recordingsDir: read.string('RECORDINGS_DIR', '.data/recordings'),
      clipsDir: read.string('CLIPS_DIR', '.data/clips'),
      recordingMaxBytes: read.int('RECORDING_MAX_BYTES', 20 * 2 ** 30, 1, 2 ** 50),
      clipPreSeconds: read.int('CLIP_PRE_SECONDS', 10, 0, 600),
      clipPostSeconds: read.int('CLIP_POST_SECONDS', 10, 0, 600),
      clipRetentionDays: read.int('CLIP_RETENTION_DAYS', 30, 1, 3650),
      cameraOfflineSeconds: read.int('CAMERA_OFFLINE_SECONDS', 30, 5, 86400),
    },
    cameraAllowedHosts: cameraHosts.allowList,
    readYourWritesTimeoutMs: read.int('READ_YOUR_WRITES_TIMEOUT_MS', 5000, 0, 60000),
    writeSide: {
      recoveryTimeoutMs: read.int('EVENT_STORE_RECOVERY_TIMEOUT_MS', 5000, 100, 600000),
      relayLeaseTtlMs: read.int('RELAY_LEASE_TTL_MS', 15000, 1000, 600000),
      ingestPrefetch: read.int('INGEST_PREFETCH', 1000, 1, 10000),
      ingestMaxMessageBytes: read.int('INGEST_MAX_MESSAGE_BYTES', 4 * 1024 * 1024, 1024, 64 * 1024 * 1024),
      ingestMaxAttempts: read.int('INGEST_MAX_ATTEMPTS', 20, 1, 10000),
      occurredAt: {
        earliestMs: Date.parse(occurredAtMin),
        maxAheadMs: read.int('EVENT_OCCURRED_AT_MAX_AHEAD_SECONDS', 86400, 0, 366 * 86400) * 1000,
      },
    },
    gateway: {
      supergraphPollMs: read.int('SUPERGRAPH_POLL_MS', 10000, 100, 3600000),
      maxDepth: read.int('GRAPHQL_MAX_DEPTH', 12, 2, 100),
      maxCost: read.int('GRAPHQL_MAX_COST', 20000, 10, 10000000),
      maxBodyBytes: read.int('GRAPHQL_MAX_BODY_BYTES', 2 * 1024 * 1024, 1024, 64 * 1024 * 1024),
      rateLimitPerSecond: read.int('RATE_LIMIT_PER_SECOND', 100, 1, 1000000),
      rateLimitBurst: read.int('RATE_LIMIT_BURST', 200, 1, 1000000),
      subscriberQueueMax: read.int('SUBSCRIBER_QUEUE_MAX', 1000, 1, 1000000),
      wsConnectionInitTimeoutMs: read.int('WS_CONNECTION_INIT_TIMEOUT_MS', 3000, 100, 60000),
      subscriptionsPerConnectionMax: read.int('SUBSCRIPTIONS_PER_CONNECTION_MAX', 100, 1, 100000),
      subscriptionsPerIdentityMax: read.int('SUBSCRIPTIONS_PER_IDENTITY_MAX', 500, 1, 1000000),
      eventStatsGroupsMax: read.int('EVENT_STATS_GROUPS_MAX', 50, 1, 100000),
    },
  };
  read.done();
  return config;
}
