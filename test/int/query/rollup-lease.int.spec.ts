import type { Client } from '@elastic/elasticsearch';
import { loadConfig } from '../../../lib/config/config';
import { createElasticClient } from '../../../lib/engines/elastic';
import { IndexAdmin } from '../../../subgraphs/query/src/views/index-admin';
import { viewNames } from '../../../subgraphs/query/src/views/names';
import { StateStore } from '../../../subgraphs/query/src/views/state-store';
import { testNamespace } from '../../support/namespace';

const namespace = testNamespace('rolllease');
const names = viewNames(namespace);
let elastic: Client;

beforeAll(async () => {
  elastic = createElasticClient({ url: loadConfig().elasticsearch.url });
  await new IndexAdmin(elastic, names).ensureViews();
});
afterAll(async () => {
  await elastic.indices.delete({ index: `${namespace}-*` }).catch(() => undefined);
  await elastic.close();
});

describe('rollup worker lease (real Elasticsearch)', () => {
  it('is held by one process at a time, renewed by its holder, taken over once expired or released', async () => {
    // Two query processes: two state stores on the same indices.
    const a = new StateStore(elastic, names);
    const b = new StateStore(elastic, names);
    const now = Date.now();
    expect(await a.holdLease('rollups', 'a', 1000, now)).toBe(true);
    expect(await b.holdLease('rollups', 'b', 1000, now)).toBe(false);
    expect(await a.holdLease('rollups', 'a', 1000, now + 500)).toBe(true);
    // Renewed until now + 1500: still held at + 1200, free at + 1600.
    expect(await b.holdLease('rollups', 'b', 1000, now + 1200)).toBe(false);
    expect(await b.holdLease('rollups', 'b', 1000, now + 1600)).toBe(true);
    expect(await a.holdLease('rollups', 'a', 1000, now + 1700)).toBe(false);
    // A release by someone who does not hold it changes nothing; the holder's frees it at once.
    await a.releaseLease('rollups', 'a');
    expect(await a.holdLease('rollups', 'a', 1000, now + 1800)).toBe(false);
    await b.releaseLease('rollups', 'b');
    expect(await a.holdLease('rollups', 'a', 1000, now + 1800)).toBe(true);
  });

  it('lets exactly one of many racing processes take a free lease', async () => {
    const stores = Array.from({ length: 8 }, () => new StateStore(elastic, names));
    const at = Date.now() + 1_000_000;
    const won = await Promise.all(stores.map((store, i) => store.holdLease('race', `p${i}`, 1000, at)));
    expect(won.filter(Boolean)).toHaveLength(1);
  });
});
