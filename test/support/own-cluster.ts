import { execFile } from 'node:child_process';
import { existsSync, lstatSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '../../lib/paths';
import { pidListeningOn } from './own-elasticsearch';
import { freePort, freePortRun } from './ports';

const run = promisify(execFile);
const NODES = 3;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export type ClusterEngine = 'rabbitmq' | 'elasticsearch';

/**
 * Clustered engines owned by one test file (`SIGHTLINE_ENGINES=cluster`): three RabbitMQ nodes
 * and/or three Elasticsearch nodes, on ports, data folders, Erlang cookie and epmd of their own
 * (under .data/test-engines/), started with the project's engine script exactly as `npm start`
 * would, killed by the port they listen on. The shared single-node engines are never touched.
 */
export interface OwnCluster {
  /** AMQP_URL for the services: every node, comma-separated (the first is node 1). */
  amqpUrl: string;
  amqpPorts: number[];
  /** ELASTICSEARCH_URL: every node, comma-separated. */
  elasticsearchUrl: string;
  elasticsearchPorts: number[];
  /** SIGKILL of the process listening on the node's port; resolves once the port is free. */
  kill(port: number): Promise<void>;
  /** `engines.sh start`: starts the nodes that are not running and waits until the cluster answers. */
  start(): Promise<void>;
  /** Stops every node (and epmd), kills whatever still listens on one of its ports, removes its data. */
  remove(): Promise<void>;
}

export async function startOwnCluster(label: string, engines: readonly ClusterEngine[]): Promise<OwnCluster> {
  const amqpBase = await freePortRun(NODES);
  const distBase = await freePortRun(NODES);
  const epmdPort = await freePort();
  const esBase = await freePortRun(NODES);
  const transportBase = await freePortRun(NODES);
  const dataDir = path.join(repoRoot, '.data', 'test-engines', `cluster-${label}-${amqpBase}`);
  const env = {
    ...process.env,
    SIGHTLINE_ENGINES: 'cluster',
    SIGHTLINE_DATA_DIR: dataDir,
    RABBITMQ_PORT: String(amqpBase),
    RABBITMQ_DIST_PORT: String(distBase),
    RABBITMQ_EPMD_PORT: String(epmdPort),
    ELASTICSEARCH_PORT: String(esBase),
    ELASTICSEARCH_TRANSPORT_PORT: String(transportBase),
    ES_HEAP: process.env.ES_HEAP ?? '512m',
  };
  const range = (base: number) => Array.from({ length: NODES }, (_, i) => base + i);
  const amqpPorts = engines.includes('rabbitmq') ? range(amqpBase) : [];
  const elasticsearchPorts = engines.includes('elasticsearch') ? range(esBase) : [];
  const ownPorts = [
    ...amqpPorts,
    ...(amqpPorts.length > 0 ? [...range(distBase), epmdPort] : []),
    ...elasticsearchPorts,
    ...(elasticsearchPorts.length > 0 ? range(transportBase) : []),
  ];
  const engineScript = (command: 'start' | 'stop') =>
    run('bash', [path.join(repoRoot, 'scripts/engines/engines.sh'), command, ...engines], { env, timeout: 400_000 }).catch((error: unknown) => {
      const failed = error as { stderr?: string; message: string };
      throw new Error(`engines.sh ${command} ${engines.join(' ')} (cluster, ${dataDir}) failed: ${failed.stderr ?? failed.message}`);
    });
  const cluster: OwnCluster = {
    amqpUrl: amqpPorts.map((port) => `amqp://guest:guest@127.0.0.1:${port}`).join(','),
    amqpPorts,
    elasticsearchUrl: elasticsearchPorts.map((port) => `http://127.0.0.1:${port}`).join(','),
    elasticsearchPorts,
    async kill(port) {
      if (!ownPorts.includes(port)) throw new Error(`port ${port} is not one of this cluster's`);
      const pid = await pidListeningOn(port);
      if (pid === undefined) throw new Error(`nothing listens on ${port}`);
      process.kill(pid, 'SIGKILL');
      while ((await pidListeningOn(port)) !== undefined) await sleep(100);
    },
    async start() {
      await engineScript('start');
    },
    async remove() {
      await engineScript('stop').catch(() => undefined);
      for (const port of ownPorts) {
        const pid = await pidListeningOn(port).catch(() => undefined);
        if (pid !== undefined) process.kill(pid, 'SIGKILL');
      }
      // Where the `sightline` user cannot reach the clone, ES data lives elsewhere behind links.
      const esHome = path.join(dataDir, 'elasticsearch-cluster');
      if (existsSync(esHome)) {
        for (const node of readdirSync(esHome)) {
          const home = path.join(esHome, node);
          if (lstatSync(home).isSymbolicLink()) rmSync(realpathSync(home), { recursive: true, force: true });
        }
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  try {
    await cluster.start();
  } catch (error) {
    await cluster.remove();
    throw error;
  }
  return cluster;
}
