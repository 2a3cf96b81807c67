import { readFileSync } from 'node:fs';
import { freePort, freePortRun } from '../../support/ports';

describe('test ports', () => {
  it('never hands out the same port twice in a process, even before anything binds it', async () => {
    // Random picks that were only checked free collided within a few hundred (birthday bound).
    const ports = new Set<number>();
    for (let i = 0; i < 600; i += 1) ports.add(await freePort());
    const base = await freePortRun(3);
    for (let i = 0; i < 3; i += 1) ports.add(base + i);
    expect(ports.size).toBe(603);
  });

  it('gives each jest worker its own slice of the range', async () => {
    const worker = Number(process.env.JEST_WORKER_ID);
    const picks = await Promise.all(Array.from({ length: 20 }, () => freePort()));
    const spread = Math.max(...picks) - Math.min(...picks);
    // A slice is an eighth of the range from 10000 to the first ephemeral port.
    const ephemeral = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    expect(worker).toBeGreaterThanOrEqual(1);
    expect(spread).toBeLessThan((ephemeral - 10000) / 8);
  });
});
