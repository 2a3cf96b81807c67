import type { Client } from '@elastic/elasticsearch';
import { unavailable } from '../../../../lib/errors/engine-errors';
import { INDEX_SETTINGS, MAPPINGS, STATE_INDEX_SETTINGS } from './mappings';
import { VIEW_NAMES, type ViewName, type ViewNames } from './names';
import { errorTypeOf, statusOf } from './elastic-errors';

const isNotFound = (error: unknown): boolean => statusOf(error) === 404;
const isAlreadyExists = (error: unknown): boolean => errorTypeOf(error) === 'resource_already_exists_exception';

/** Creates, finds, swaps and drops the versioned indices behind the view aliases. */
export class IndexAdmin {
  constructor(
    private readonly client: Client,
    readonly names: ViewNames,
  ) {}

  /**
   * Makes sure every view alias points at an index (first start), and the state indices exist.
   * `beforeRollupUpgrade` runs when the rollups index predates a document kind, before the new
   * format is declared (a crash in between repeats it at the next start):
   * - `dimensions` (no `kind` field): clean hours have no dimension documents, so every hour must
   *   go dirty (read raw, recomputed by the worker);
   * - `days` (no `day` field): there are no day documents and no day statuses; readers then use
   *   hour documents (exact), and every day must be marked dirty so the worker builds them.
   */
  async ensureViews(beforeRollupUpgrade?: (missing: 'dimensions' | 'days') => Promise<unknown>): Promise<void> {
    try {
      // State indices first: an upgrade below writes statuses, which must meet their mapping (`build` is a keyword).
      const stateMappings = {
        [this.names.state]: {
          properties: {
            kind: { type: 'keyword' },
            position: { type: 'long' },
            at: { type: 'date' },
            reason: { type: 'text' },
            owner: { type: 'keyword' },
            until: { type: 'long' },
            nodes: { type: 'keyword', index: false },
          },
        },
        // Hour statuses (`hour`) and day statuses (`day`, and the `build` of the day documents when clean).
        [this.names.dirtyHours]: {
          properties: { hour: { type: 'long' }, dirty: { type: 'boolean' }, sparse: { type: 'boolean' }, day: { type: 'long' }, build: { type: 'keyword' } },
        },
      };
      // Independent indices side by side: every process start waits for this.
      await Promise.all(
        Object.entries(stateMappings).map(async ([index, mappings]) => {
          try {
            await this.client.indices.create({ index, settings: STATE_INDEX_SETTINGS, mappings: mappings as never });
          } catch (error) {
            if (!isAlreadyExists(error)) throw error;
            await this.client.indices.putMapping({ index, ...(mappings as object) });
            // Made by an earlier version without replicas (dynamic: set in place).
            await this.client.indices.putSettings({ index, settings: { 'index.auto_expand_replicas': STATE_INDEX_SETTINGS.auto_expand_replicas } });
          }
        }),
      );
      await Promise.all(VIEW_NAMES.map((view) => this.ensureView(view, beforeRollupUpgrade)));
    } catch (error) {
      throw unavailable('elasticsearch', error);
    }
  }

  private async ensureView(view: ViewName, beforeRollupUpgrade?: (missing: 'dimensions' | 'days') => Promise<unknown>): Promise<void> {
    const existing = await this.concreteIndex(this.names.alias(view));
    if (existing) {
      if (view === 'rollups' && beforeRollupUpgrade) {
        const mapping = await this.client.indices.getMapping({ index: existing });
        const properties = mapping[existing]?.mappings.properties;
        if (!properties?.kind) await beforeRollupUpgrade('dimensions');
        else if (!properties.day) await beforeRollupUpgrade('days');
      }
      // Fields added since the index was made (adding is allowed in place; strict would refuse them),
      // and the durability of views made by earlier versions (async then; dynamic, so set in place).
      await Promise.all([
        this.client.indices.putMapping({ index: this.names.alias(view), ...(MAPPINGS[view] as object) }),
        this.client.indices.putSettings({
          index: this.names.alias(view),
          settings: { 'index.translog.durability': INDEX_SETTINGS['translog.durability'], 'index.auto_expand_replicas': INDEX_SETTINGS.auto_expand_replicas },
        }),
      ]);
      return;
    }
    // A fixed first name with the alias created in the same request: two processes starting
    // together cannot end with two first versions.
    try {
      await this.client.indices.create({
        index: this.names.newIndex(view, 1),
        settings: INDEX_SETTINGS,
        mappings: MAPPINGS[view] as never,
        aliases: { [this.names.alias(view)]: { is_write_index: true } },
      });
    } catch (error) {
      if (!isAlreadyExists(error)) throw error;
    }
  }

  async createIndex(view: ViewName, index: string, refreshInterval: string): Promise<void> {
    await this.client.indices.create({
      index,
      settings: { ...INDEX_SETTINGS, refresh_interval: refreshInterval },
      mappings: MAPPINGS[view] as never,
    });
  }

  /** The concrete index an alias points at, or undefined. */
  async concreteIndex(alias: string): Promise<string | undefined> {
    try {
      const response = await this.client.indices.getAlias({ name: alias });
      return Object.keys(response)[0];
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async setRefreshInterval(index: string, interval: string): Promise<void> {
    await this.client.indices.putSettings({ index, settings: { refresh_interval: interval } });
  }

  async refresh(indices: string[]): Promise<void> {
    await this.client.indices.refresh({ index: indices, ignore_unavailable: true, allow_no_indices: true });
  }

  /** Starts a rebuild: a fresh index, no refreshes while it fills, behind the `-next` alias. */
  async createNext(view: ViewName): Promise<string> {
    const index = this.names.newIndex(view);
    await this.createIndex(view, index, '-1');
    await this.client.indices.updateAliases({ actions: [{ add: { index, alias: this.names.nextAlias(view) } }] });
    return index;
  }

  /**
   * One atomic alias change: readers and writers move to the new index together. The `-next`
   * alias stays on the new index (removed later by `finishSwap`), so a write racing the swap still
   * reaches the new index through it.
   */
  async swap(view: ViewName, oldIndex: string, newIndex: string): Promise<void> {
    await this.client.indices.updateAliases({
      actions: [
        { remove: { index: oldIndex, alias: this.names.alias(view) } },
        { add: { index: newIndex, alias: this.names.alias(view), is_write_index: true } },
      ],
    });
  }

  async finishSwap(view: ViewName, oldIndex: string): Promise<void> {
    await this.client.indices.deleteAlias({ index: '_all', name: this.names.nextAlias(view) }).catch((error: unknown) => {
      if (!isNotFound(error)) throw error;
    });
    await this.client.indices.delete({ index: oldIndex }).catch((error: unknown) => {
      if (!isNotFound(error)) throw error;
    });
  }

  /**
   * Drops every version of a view that the alias does not point at: what a rebuild killed midway
   * left behind (its `-next` index, or an index it created before adding the alias). Call only
   * while holding the view's rebuild lease (Rebuilder), so no live rebuild is dropped. Returns them.
   */
  async dropLeftovers(view: ViewName): Promise<string[]> {
    const live = await this.concreteIndex(this.names.alias(view));
    const found = await this.client.indices.get({ index: `${this.names.alias(view)}-v*`, filter_path: '*.settings.index.provided_name' });
    const leftovers = Object.keys(found).filter((index) => index !== live);
    if (leftovers.length > 0) await this.client.indices.delete({ index: leftovers });
    return leftovers;
  }

  /** Abandons a failed rebuild. */
  async dropNext(view: ViewName, index: string): Promise<void> {
    await this.client.indices.delete({ index }).catch(() => undefined);
  }
}
