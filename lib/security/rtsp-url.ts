import { AppError } from '../errors/app-error';

const ALLOWED_SCHEMES = new Set(['rtsp:', 'rtsps:']);
const MAX_URL_LENGTH = 2048;

/**
 * Parses a camera URL and refuses anything but rtsp:// and rtsps:// with a host. Checked at
 * registration and again right before ffmpeg is spawned, so a URL that slipped into the store by
 * another path still cannot make ffmpeg read a file or speak another protocol.
 */
export function parseRtspUrl(raw: string): URL {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > MAX_URL_LENGTH) {
    throw new AppError('BAD_USER_INPUT', `rtspUrl must be a URL of at most ${MAX_URL_LENGTH} characters`);
  }
  // Control characters and whitespace could smuggle extra arguments or headers into the RTSP request.
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  if (/[\s\u0000-\u001f\u007f]/.test(raw)) {
    throw new AppError('BAD_USER_INPUT', 'rtspUrl must not contain whitespace or control characters');
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new AppError('BAD_USER_INPUT', 'rtspUrl is not a valid URL');
  }
  if (!ALLOWED_SCHEMES.has(url.protocol)) {
    throw new AppError('BAD_USER_INPUT', 'rtspUrl must use rtsp:// or rtsps://');
  }
  if (url.hostname === '') {
    throw new AppError('BAD_USER_INPUT', 'rtspUrl must name a host');
  }
  return url;
}

/** The URL with any `user:pass@` replaced by `***@`: what every read path, log line and error shows. */
export function maskRtspUrl(raw: string): string {
  try {
    const url = new URL(raw);
    if (url.username === '' && url.password === '') return url.toString();
    url.username = '***';
    url.password = '';
    return url.toString();
  } catch {
    // Not a URL at all: still never echo what could be a credential.
    return raw.replace(/\/\/[^/@\s]*@/g, '//***@');
  }
}

/** Removes credentials from any text (ffmpeg argv, log lines, error messages) that may embed URLs. */
export function redactCredentials(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/@\s]+@/gi, '$1***@');
}
