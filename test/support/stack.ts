import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import amqp from 'amqplib';
import { MongoClient } from 'mongodb';
import { signDevelopmentToken } from '../../lib/auth/development-token';
import type { Role } from '../../lib/auth/roles';
import { amqpNames, deleteTopology } from '../../lib/events/topology';
import { repoRoot } from '../../lib/paths';
import { ENGINE_URLS } from './engine-urls';
import { testNamespace } from './namespace';
import { freePort } from './ports';

export type ServiceName = 'command' | 'query' | 'media' | 'gateway';

const ENTRY: Record<ServiceName, string> = {
  command: 'dist/subgraphs/command/src/main.js',
  query: 'dist/subgraphs/query/src/main.js',
  media: 'dist/subgraphs/media/src/main.js',
  gateway: 'dist/gateway/src/main.js',
};

// As long as production demands (32 characters), so a stack in production mode can use it too.
export const TEST_JWT_SECRET = 'sightline-test-jwt-secret-32-chars';
const LOG_DIR = path.join(repoRoot, 'test-artifacts', 'logs');

export interface GraphQLResponse<T = Record<string, unknown>> {
  data?: T | null;
  errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
}

export interface Stack {
  namespace: string;
  env: Record<string, string>;
  gatewayUrl: string;
  baseUrl: string;
  ports: Record<ServiceName, number>;
  processes: Map<ServiceName, ChildProcess>;
  logs: Map<ServiceName, string[]>;
  token(role: Role, subject?: string): string;
  graphql<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>, role?: Role | null): Promise<GraphQLResponse<T>>;
  /** Restarts (or starts) one service, e.g. after killing it in a fault test. */
  startService(name: ServiceName): Promise<ChildProcess>;
  stop(): Promise<void>;
}

/**
 * Removes what the namespace left in the engines once its processes are gone: every stack creates
 * Elasticsearch indices, a MongoDB database and durable queues, and hundreds of them left behind on
 * a developer's engines keep those busy (710 indices held Elasticsearch at a full core) and slow
 * every later test and bench. Best effort, each engine on its own: a failure never fails a test
 * (a fault test may have cut an engine).
 */
export async function removeNamespaceData(
  namespace: string,
  engines: ReadonlyArray<'elasticsearch' | 'mongodb' | 'rabbitmq'> = ['elasticsearch', 'mongodb', 'rabbitmq'],
): Promise<void> {
  const quietly = (engine: (typeof engines)[number], work: () => Promise<unknown>) => (engines.includes(engine) ? work().catch(() => undefined) : undefined);
  await Promise.all([
    quietly('elasticsearch', () =>
      fetch(`${ENGINE_URLS.elasticsearch}/${encodeURIComponent(namespace)}-*`, { method: 'DELETE', signal: AbortSignal.timeout(10000) }),
    ),
    quietly('mongodb', async () => {
      const client = await MongoClient.connect(ENGINE_URLS.mongodb, { serverSelectionTimeoutMS: 5000 });
      try {
        await client.db(namespace).dropDatabase();
      } finally {
        await client.close();
      }
    }),
    quietly('rabbitmq', async () => {
      const connection = await amqp.connect(ENGINE_URLS.amqp);
      try {
        const channel = await connection.createChannel();
        const names = amqpNames(namespace);
        await deleteTopology(channel, names);
      } finally {
        await connection.close();
      }
    }),
  ]);
}

async function waitFor(url: string, timeoutMs: number, isDead: () => string | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const dead = isDead();
    if (dead) throw new Error(dead);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (response.ok) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`${url} not ready after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * Starts real Sightline processes (built in dist/) against the real engines, in a namespace of their
 * own and on free ports, and waits until they are ready. Requires `npm run build` and running engines
 * (`npm test` does both).
 */
export async function startStack(
  options: {
    services?: ServiceName[];
    env?: Record<string, string>;
    label?: string;
    /** Another node of this stack: same namespace (engines' data), its own ports and HLS folder; its stop leaves the data to the first. */
    nodeOf?: Stack;
    /** A namespace to reuse instead of a fresh one (benches: data seeded once); its data is kept at stop. */
    namespace?: string;
    /** Another built checkout to run the services from (benches: the same load against older code). */
    root?: string;
  } = {},
): Promise<Stack> {
  const services = options.services ?? ['command', 'query', 'media', 'gateway'];
  const root = options.root ?? repoRoot;
  for (const service of services) {
    if (!existsSync(path.join(root, ENTRY[service]))) throw new Error(`${ENTRY[service]} missing: run npm run build`);
  }
  const namespace = options.nodeOf?.namespace ?? options.namespace ?? testNamespace(options.label ?? 'stack');
  const ports = {
    command: await freePort(),
    query: await freePort(),
    media: await freePort(),
    gateway: await freePort(),
  };
  const env: Record<string, string> = {
    SIGHTLINE_NAMESPACE: namespace,
    GATEWAY_PORT: String(ports.gateway),
    COMMAND_PORT: String(ports.command),
    QUERY_PORT: String(ports.query),
    MEDIA_PORT: String(ports.media),
    JWT_SECRET: TEST_JWT_SECRET,
    HLS_DIR: mkdtempSync(path.join(os.tmpdir(), `${namespace}-hls-`)),
    RECORDINGS_DIR: mkdtempSync(path.join(os.tmpdir(), `${namespace}-recordings-`)),
    CLIPS_DIR: mkdtempSync(path.join(os.tmpdir(), `${namespace}-clips-`)),
    PUBLIC_BASE_URL: `http://127.0.0.1:${ports.gateway}`,
    LOG_LEVEL: process.env.STACK_LOG_LEVEL ?? 'info',
    ...options.env,
  };
  const processes = new Map<ServiceName, ChildProcess>();
  const logs = new Map<ServiceName, string[]>();

  const startService = async (name: ServiceName): Promise<ChildProcess> => {
    // e.g. STACK_GATEWAY_NODE_ARGS="--max-semi-space-size=64": V8 flags for one service (benches).
    const nodeArgs = (process.env[`STACK_${name.toUpperCase()}_NODE_ARGS`] ?? '').split(' ').filter(Boolean);
    const child = spawn(process.execPath, [...nodeArgs, ENTRY[name]], {
      cwd: root,
      env: { ...process.env, ...env, NODE_ENV: env.NODE_ENV ?? 'development' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: string[] = logs.get(name) ?? [];
    logs.set(name, lines);
    // Every service's log also lands in test-artifacts/logs/, so a failure in CI can be read after.
    mkdirSync(LOG_DIR, { recursive: true });
    const file = createWriteStream(path.join(LOG_DIR, `${namespace}${options.nodeOf ? `-node${ports.gateway}` : ''}-${name}.log`), { flags: 'a' });
    // 'close', not 'exit': a child's stdout and stderr may still deliver data after it exited.
    child.once('close', () => file.end());
    child.stdout?.pipe(file, { end: false });
    child.stderr?.pipe(file, { end: false });
    const keep = (chunk: Buffer) => {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      if (lines.length > 2000) lines.splice(0, lines.length - 2000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    processes.set(name, child);
    const health = name === 'gateway' ? 'readyz' : 'healthz';
    await waitFor(`http://127.0.0.1:${ports[name]}/${health}`, 60000, () =>
      child.exitCode !== null ? `${name} exited with ${child.exitCode}:\n${lines.slice(-30).join('\n')}` : undefined,
    );
    return child;
  };

  const stop = async () => {
    await Promise.all(
      [...processes.values()].map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            const timer = setTimeout(() => child.kill('SIGKILL'), 10000);
            child.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            child.kill('SIGTERM');
          }),
      ),
    );
    if (!options.nodeOf && !options.namespace) await removeNamespaceData(env.SIGHTLINE_NAMESPACE ?? namespace);
  };

  try {
    // Subgraphs first (in parallel), then the gateway that composes them.
    await Promise.all(services.filter((s) => s !== 'gateway').map(startService));
    if (services.includes('gateway')) await startService('gateway');
  } catch (error) {
    await stop();
    throw error;
  }

  const gatewayUrl = `http://127.0.0.1:${ports.gateway}/graphql`;
  const token = (role: Role, subject = `test-${role}`) =>
    signDevelopmentToken(TEST_JWT_SECRET, { subject, role, expiresInSeconds: 3600, issuer: env.JWT_ISSUER, audience: env.JWT_AUDIENCE });
  return {
    namespace,
    env,
    gatewayUrl,
    baseUrl: `http://127.0.0.1:${ports.gateway}`,
    ports,
    processes,
    logs,
    token,
    async graphql<T>(query: string, variables?: Record<string, unknown>, role: Role | null = 'admin') {
      const response = await fetch(gatewayUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(role ? { authorization: `Bearer ${token(role)}` } : {}) },
        body: JSON.stringify({ query, variables }),
      });
      return (await response.json()) as GraphQLResponse<T>;
    },
    startService,
    stop,
  };
}
