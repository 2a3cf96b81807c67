import { ApiError, codeOf, request } from '../api/graphql';
import { EVENT_CLIP, type EventClip } from '../api/operations';
import { fill, h } from '../ui/dom';
import { describeError } from '../ui/messages';
import { clipView, releaseClip } from './clip-view';

/** What the feed knows of an event's clip: its status and, if UNAVAILABLE, why (no links: they expire). */
export type ClipSummary = Pick<EventClip, 'status' | 'reason'>;

/**
 * The clip marker of one feed item: a button that opens the clip (READY), says it is still being
 * recorded (PENDING, and checks again when pressed), or says why there is none (UNAVAILABLE).
 * Nothing for an event whose camera is not recorded.
 */
export function clipBadge(eventId: string, clip: ClipSummary | null | undefined, label: string, onOpen: (id: string) => void): HTMLElement | null {
  if (!clip) return null;
  if (clip.status === 'UNAVAILABLE') {
    return h('span', { class: 'clip-badge', 'data-clip': 'unavailable' }, `No clip: ${clip.reason ?? 'the video was not recorded'}`);
  }
  const ready = clip.status === 'READY';
  return h(
    'button',
    {
      type: 'button',
      class: 'quiet clip-badge',
      'data-clip': ready ? 'ready' : 'pending',
      'aria-label': ready ? `Play the clip of ${label}` : `The clip of ${label} is still being recorded: check again`,
      onclick: () => onOpen(eventId),
    },
    ready ? '▶ Clip' : 'Clip pending…',
  );
}

/**
 * The feed's one inline clip player: opening a clip closes the one before, so a feed of hundreds
 * of events holds at most one video. The clip is read when opened, so its signed link is fresh and
 * a clip that was PENDING when the feed loaded plays if it is READY now.
 */
export class FeedClipPlayer {
  readonly root: HTMLElement;
  private current = '';
  private generation = 0;
  /** The clip's status as read on opening: the feed updates the event's marker with it. */
  onStatus: (eventId: string, clip: ClipSummary | null) => void = () => undefined;

  constructor() {
    this.root = h('div', { class: 'feed-clip', id: 'feed-clip', role: 'region', 'aria-label': 'Clip' });
  }

  get eventId(): string {
    return this.current;
  }

  /** Opens the clip of an event, or closes it if it is the one open. */
  toggle(eventId: string): void {
    if (this.current === eventId) this.close();
    else void this.open(eventId);
  }

  close(): void {
    this.generation += 1;
    this.current = '';
    releaseClip(this.root);
    fill(this.root);
    this.root.remove();
  }

  private async open(eventId: string): Promise<void> {
    this.close();
    const generation = this.generation;
    this.current = eventId;
    this.root.dataset.eventId = eventId;
    fill(this.root, h('p', { class: 'help' }, 'Loading the clip…'));
    const closeButton = h('button', { type: 'button', class: 'quiet', onclick: () => this.close() }, 'Close clip');
    try {
      const { data, errors } = await request<{ event: { id: string; clip: EventClip | null } | null }>(EVENT_CLIP, { id: eventId });
      if (generation !== this.generation) return;
      const clip = data?.event?.clip ?? null;
      // No clip beside an error (the video service not answering) is not "this camera is not recorded".
      const failed = errors[0];
      if (!clip && failed) throw new ApiError(failed.message, codeOf(failed));
      const view = clipView(eventId, clip, { autoplay: true });
      const video = view.querySelector('video');
      // Muted through the property (the attribute alone does not mute a video made by script), so
      // the clip starts at once without a user gesture being needed again.
      if (video) video.muted = true;
      fill(this.root, view, closeButton);
      this.onStatus(eventId, clip ? { status: clip.status, reason: clip.reason } : null);
    } catch (error) {
      if (generation !== this.generation) return;
      fill(this.root, h('p', { class: 'help clip', 'data-clip': 'error' }, describeError(error, 'the clip')), closeButton);
    }
  }
}
