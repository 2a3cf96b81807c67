import type { EventClip } from '../api/operations';
import { h } from '../ui/dom';
import { formatWhen } from '../ui/time';

/**
 * An event's recorded clip: a player once READY, otherwise what is known (pending, why not, not
 * recorded). Used by the detail panel and by the feed's one inline player.
 */
export function clipView(eventId: string, clip: EventClip | null, options: { autoplay?: boolean } = {}): HTMLElement {
  if (!clip) return h('p', { class: 'help clip', 'data-clip': 'none' }, "No clip: this event's camera is not recorded.");
  if (clip.status === 'PENDING') {
    return h(
      'p',
      { class: 'help clip', 'data-clip': 'pending' },
      `The clip (${formatWhen(clip.from)} to ${formatWhen(clip.to)}) is still being recorded: try again in a few seconds.`,
    );
  }
  if (clip.status === 'UNAVAILABLE' || !clip.mp4Url) {
    return h('p', { class: 'help clip', 'data-clip': 'unavailable' }, `No clip: ${clip.reason ?? 'the video was not recorded'}.`);
  }
  return h(
    'div',
    { class: 'clip', 'data-clip': 'ready' },
    // An MP4 plays in every browser without hls.js; the link lets an operator keep the file. Muted,
    // so a browser lets it start on its own where the operator asked for it.
    h('video', {
      controls: true,
      preload: 'metadata',
      muted: options.autoplay,
      autoplay: options.autoplay,
      playsinline: true,
      src: clip.mp4Url,
      'aria-label': `Clip of this event, ${formatWhen(clip.from)} to ${formatWhen(clip.to)}`,
    }),
    h('p', {}, h('a', { href: clip.mp4Url, download: `clip-${eventId}.mp4` }, 'Download the clip (MP4)')),
  );
}

/** Stops a clip player's download and playback before its element goes away. */
export function releaseClip(element: Element | null | undefined): void {
  const video = element?.querySelector('video');
  if (!video) return;
  video.pause();
  video.removeAttribute('src');
  video.load();
}
