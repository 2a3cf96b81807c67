import { execFile } from 'node:child_process';
import { existsSync, lstatSync, realpathSync, rmSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '../../lib/paths';
import { freePort } from './ports';

const run = promisify(execFile);

/**
 * An Elasticsearch node owned by one test file: its own port, data and logs (under
 * .data/test-engines/), started and restarted with the project's engine script exactly as an
 * operator would (`npm run engines -- start elasticsearch`), and killed by the port it listens on.
 * Crash tests use it so that killing Elasticsearch never disturbs the engines other tests share.
 */
export interface OwnElasticsearch {
  url: string;
  port: number;
  /** SIGKILL of the process listening on the port (the Elasticsearch server JVM). */
  kill(): Promise<void>;
  /** `engines.sh start elasticsearch` with this node's port and data: waits until it answers. */
  start(): Promise<void>;
  /** Stops it and removes its data. */
  remove(): Promise<void>;
}

/** The pid listening on a loopback TCP port, from `ss` (processes are found by port, never by name). */
export async function pidListeningOn(port: number): Promise<number | undefined> {
  const { stdout } = await run('ss', ['-ltnpH', `sport = :${port}`]);
  const match = /pid=(\d+)/.exec(stdout);
  return match ? Number(match[1]) : undefined;
}

export async function startOwnElasticsearch(label: string): Promise<OwnElasticsearch> {
  const port = await freePort();
  const dataDir = path.join(repoRoot, '.data', 'test-engines', `${label}-${port}`);
  const env = { ...process.env, SIGHTLINE_DATA_DIR: dataDir, ELASTICSEARCH_PORT: String(port), ES_HEAP: process.env.ES_HEAP ?? '512m' };
  const engines = (command: 'start' | 'stop') =>
    run('bash', [path.join(repoRoot, 'scripts/engines/engines.sh'), command, 'elasticsearch'], { env, timeout: 240_000 }).catch((error: unknown) => {
      const failed = error as { stderr?: string; message: string };
      throw new Error(`engines.sh ${command} elasticsearch (port ${port}) failed: ${failed.stderr ?? failed.message}`);
    });
  const node: OwnElasticsearch = {
    url: `http://127.0.0.1:${port}`,
    port,
    async kill() {
      const pid = await pidListeningOn(port);
      if (pid === undefined) throw new Error(`nothing listens on ${port}`);
      process.kill(pid, 'SIGKILL');
      // Gone once the port is free: the restart must not find the old process still answering.
      while ((await pidListeningOn(port)) !== undefined) await new Promise((resolve) => setTimeout(resolve, 100));
    },
    async start() {
      await engines('start');
    },
    async remove() {
      await engines('stop').catch(() => undefined);
      // Where the `sightline` user cannot reach the clone, the engine script keeps ES data elsewhere behind a link.
      const home = path.join(dataDir, 'elasticsearch');
      if (existsSync(home) && lstatSync(home).isSymbolicLink()) rmSync(realpathSync(home), { recursive: true, force: true });
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  await node.start();
  return node;
}
