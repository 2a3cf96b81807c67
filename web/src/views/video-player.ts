// hls.js is loaded on first use, not with the page: most of the page's script by size, and a page
// opened on the event feed may never play a video. The light build: no subtitles, alternate audio
// or DRM, which camera streams never use.
type HlsModule = typeof import('hls.js/light');
let hlsModule: Promise<HlsModule> | undefined;
const loadHls = (): Promise<HlsModule> => (hlsModule ??= import('hls.js/light'));

export interface PlayerCallbacks {
  onPlaying(): void;
  /** `linkRefused`: the signed link expired or was refused, so a fresh link may well play. */
  onFailed(message: string, linkRefused: boolean): void;
}

const MAX_NETWORK_RETRIES = 6;

/**
 * Plays one signed HLS link in a muted <video> with hls.js (native HLS where hls.js is not
 * supported, e.g. Safari on iOS). Returns the function that tears the player down, at once usable
 * even while hls.js is still loading.
 */
export function attachHls(video: HTMLVideoElement, url: string, callbacks: PlayerCallbacks): () => void {
  let detach: (() => void) | undefined;
  let detached = false;
  loadHls().then(
    ({ default: Hls }) => {
      if (!detached) detach = play(Hls, video, url, callbacks);
    },
    () => {
      if (!detached) callbacks.onFailed('The video player could not be loaded. Reload the page to try again.', false);
    },
  );
  return () => {
    detached = true;
    detach?.();
  };
}

function play(Hls: HlsModule['default'], video: HTMLVideoElement, url: string, callbacks: PlayerCallbacks): () => void {
  video.muted = true;
  video.autoplay = true;
  video.playsInline = true;
  const onPlaying = () => callbacks.onPlaying();
  video.addEventListener('playing', onPlaying);

  if (!Hls.isSupported()) {
    if (video.canPlayType('application/vnd.apple.mpegurl')) {
      video.src = url;
      const onError = () => callbacks.onFailed('The browser could not play this stream.', false);
      video.addEventListener('error', onError);
      return () => {
        video.removeEventListener('playing', onPlaying);
        video.removeEventListener('error', onError);
        video.removeAttribute('src');
        video.load();
      };
    }
    callbacks.onFailed('This browser cannot play HLS video.', false);
    return () => video.removeEventListener('playing', onPlaying);
  }

  // Live edge close behind the camera; a playlist that is not there yet (stream STARTING) is retried.
  const hls = new Hls({ liveSyncDurationCount: 2, manifestLoadingMaxRetry: 4, manifestLoadingRetryDelay: 1000, lowLatencyMode: false });
  let networkRetries = 0;
  hls.on(Hls.Events.MANIFEST_PARSED, () => {
    void video.play().catch(() => undefined);
  });
  hls.on(Hls.Events.FRAG_LOADED, () => {
    networkRetries = 0;
  });
  hls.on(Hls.Events.ERROR, (_event, data) => {
    if (!data.fatal) return;
    if (data.type === Hls.ErrorTypes.NETWORK_ERROR && networkRetries < MAX_NETWORK_RETRIES) {
      networkRetries += 1;
      setTimeout(() => hls.startLoad(), 1000 * networkRetries);
      return;
    }
    if (data.type === Hls.ErrorTypes.MEDIA_ERROR) {
      hls.recoverMediaError();
      return;
    }
    const status = data.response?.code;
    const linkRefused = status === 403 || status === 401;
    callbacks.onFailed(linkRefused ? 'The video link has expired or was refused.' : `The video stream failed (${data.details}).`, linkRefused);
    hls.destroy();
  });
  hls.loadSource(url);
  hls.attachMedia(video);
  return () => {
    video.removeEventListener('playing', onPlaying);
    hls.destroy();
  };
}
