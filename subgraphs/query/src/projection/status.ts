import type { IndexAdmin } from '../views/index-admin';
import { VIEW_NAMES, type ViewName } from '../views/names';
import type { StateStore } from '../views/state-store';
import type { Projector } from './projector';
import type { Rebuilder } from './rebuild';
import type { RestartHealer } from './restart-healer';
import type { ProjectionRuntime } from './runtime';

export interface ProjectionStatus {
  name: ViewName;
  state: 'RUNNING' | 'CATCHING_UP' | 'REBUILDING' | 'STOPPED' | 'FAILED';
  position: string;
  headPosition: string;
  lag: number;
  index: string;
  rebuildProgress: number | null;
  deadLettered: number;
  lastError: string | null;
}

/** Lag above which a projection reports CATCHING_UP rather than RUNNING. */
const CATCHING_UP_LAG = 1000;

/**
 * The `projections` answer. It comes from this process's memory first (position, head, errors)
 * and asks Elasticsearch only for what other processes may know (index names, dead letters), with
 * a short timeout: while Elasticsearch is down it still answers, with the lag growing.
 */
export class ProjectionStatusReporter {
  private indexCache = new Map<ViewName, string>();
  private deadCache = 0;
  private lastDeadLetter: string | undefined;

  constructor(
    private readonly deps: {
      runtime: ProjectionRuntime;
      projector: Projector | undefined;
      rebuilder: Rebuilder;
      healer?: RestartHealer;
      admin: IndexAdmin;
      state: StateStore;
    },
  ) {}

  async statuses(): Promise<ProjectionStatus[]> {
    const { runtime, projector, rebuilder } = this.deps;
    await Promise.race([this.refreshFromElastic(), new Promise((resolve) => setTimeout(resolve, 1500).unref())]);
    const position = runtime.freshness.searchable;
    const head = Math.max(runtime.checkpoint.head, position);
    const lag = head - position;
    const failing = projector?.health.failing ?? false;
    const deadLettered = Math.max(this.deadCache, projector?.health.deadLettered ?? 0);
    const healing = this.deps.healer?.healing;
    const healingNote = healing
      ? `healing (${healing.reason}): replaying the event store from ${healing.from} to ${healing.to}, at ${healing.reached}`
      : undefined;
    return VIEW_NAMES.map((name) => {
      const rebuild = rebuilder.running.get(name);
      const state: ProjectionStatus['state'] = rebuild
        ? 'REBUILDING'
        : failing || lag > CATCHING_UP_LAG || runtime.lastError || healing
          ? 'CATCHING_UP'
          : projector
            ? 'RUNNING'
            : 'STOPPED';
      return {
        name,
        state,
        position: String(position),
        headPosition: String(head),
        lag,
        index: this.indexCache.get(name) ?? '',
        rebuildProgress: rebuild ? rebuild.progress : null,
        deadLettered,
        lastError:
          (failing ? projector?.health.lastError : undefined) ??
          runtime.lastError ??
          healingNote ??
          rebuild?.error ??
          rebuilder.failures.get(name) ??
          this.deadLetterNote(projector) ??
          null,
      };
    });
  }

  /** The last dead letter stays visible (with the count in `deadLettered`) once nothing else is wrong. */
  private deadLetterNote(projector: Projector | undefined): string | undefined {
    const reason = projector?.health.lastDeadLetter ?? this.lastDeadLetter;
    return reason === undefined ? undefined : `last dead-lettered event: ${reason}`;
  }

  private async refreshFromElastic(): Promise<void> {
    try {
      for (const name of VIEW_NAMES) {
        const index = await this.deps.admin.concreteIndex(this.deps.admin.names.alias(name));
        if (index) this.indexCache.set(name, index);
      }
      const dead = await this.deps.state.deadLetters();
      this.deadCache = dead.count;
      this.lastDeadLetter = dead.lastReason;
    } catch {
      // Elasticsearch down: answer from memory.
    }
  }
}
