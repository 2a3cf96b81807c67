import { AppError } from '../../../../lib/errors/app-error';
import type { StreamStatus } from '../../../../lib/events/stream-status';
import type { SessionRepository } from './ports';
import type { StreamSession } from './session';

export interface PageQuery {
  statuses?: readonly StreamStatus[] | null;
  /** How many sessions at most (default DEFAULT_PAGE_SIZE, at most MAX_PAGE_SIZE). */
  first?: number | null;
  /** The id of the last session of the previous page: this page continues with older ones. */
  after?: string | null;
}

const DEFAULT_PAGE_SIZE = 100;
const MAX_PAGE_SIZE = 500;
/** Lookups in flight at once while walking the listing order. */
const WALK_BATCH = 100;

export interface PageSource {
  /** Every session that is not STOPPED: the media process holds all of them in memory. */
  unfinished(): StreamSession[];
  /** A session as this process knows it now, else as stored. */
  lookup(id: string): Promise<StreamSession | null>;
  repository: Pick<SessionRepository, 'newestPlace' | 'idsAt'>;
}

/**
 * One page of sessions, newest first. A page of unfinished statuses only is answered from memory.
 * Any other walks the stored listing order down from the newest place (or from `after`'s), one `_id`
 * lookup per place and per session not in memory, until the page is full: it reads the page's own
 * sessions plus at most the unfinished ones it skips, never a scan of the history.
 */
export async function pageOfSessions(source: PageSource, query: PageQuery): Promise<StreamSession[]> {
  const first = pageSize(query.first);
  const wanted = query.statuses && query.statuses.length > 0 ? new Set(query.statuses) : undefined;
  const below = query.after === undefined || query.after === null ? Number.POSITIVE_INFINITY : await placeOf(source, query.after);
  if (wanted && !wanted.has('STOPPED')) {
    return source
      .unfinished()
      .filter((s) => wanted.has(s.status) && s.seq < below)
      .sort((a, b) => b.seq - a.seq)
      .slice(0, first);
  }
  const page: StreamSession[] = [];
  let next = Math.min(below - 1, await source.repository.newestPlace());
  while (page.length < first && next >= 1) {
    const count = Math.min(WALK_BATCH, first - page.length, next);
    const places = Array.from({ length: count }, (_, i) => next - i);
    const ids = await source.repository.idsAt(places);
    const sessions = await Promise.all(ids.map((id) => (id ? source.lookup(id) : null)));
    sessions.forEach((session, i) => {
      // A place whose session says otherwise is a leftover of an interrupted write: the session's own seq wins.
      if (session && session.seq === places[i] && (!wanted || wanted.has(session.status)) && page.length < first) page.push(session);
    });
    next -= count;
  }
  return page;
}

function pageSize(first: number | null | undefined): number {
  if (first === undefined || first === null) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) {
    throw new AppError('BAD_USER_INPUT', `first must be between 1 and ${MAX_PAGE_SIZE}`, { maxPageSize: MAX_PAGE_SIZE });
  }
  return first;
}

async function placeOf(source: PageSource, after: string): Promise<number> {
  const session = await source.lookup(after);
  if (!session) throw new AppError('BAD_USER_INPUT', `after: no stream session ${after}`);
  return session.seq;
}
