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

/**
 * Query or path parameters that carry credentials in camera URLs (`?user=admin&password=...`,
 * Foscam's `usr`/`pwd`, XMEye's `/user=admin&password=...`, tokens and keys): compared without case
 * and punctuation, by exact name or by a telling part of it.
 */
const CREDENTIAL_NAMES = new Set([
  'u',
  'p',
  'pw',
  'pwd',
  'usr',
  'user',
  'username',
  'userid',
  'login',
  'account',
  'pin',
  'key',
  'apikey',
  'sig',
  'signature',
  'sid',
  'session',
  'sessionid',
  'jwt',
  'bearer',
]);
const CREDENTIAL_PARTS = /pass|pwd|token|secret|auth|credential|apikey|accesskey|privatekey/;

function isCredentialParameter(name: string): boolean {
  let decoded = name;
  try {
    decoded = decodeURIComponent(name);
  } catch {
    // a malformed escape: compare the name as written
  }
  const plain = decoded.toLowerCase().replace(/[^a-z0-9]/g, '');
  return CREDENTIAL_NAMES.has(plain) || CREDENTIAL_PARTS.test(plain);
}

/**
 * `name=value` after `?`, `&`, `;` or `/` (some cameras take their credentials in the path). A value
 * ends at `&`, `;`, `#`, whitespace or a quote, so in free text it never swallows what follows a URL;
 * masking a little too much (a path after an XMEye password) is the safe side.
 */
const PARAMETER = /([?&;/])([^=&;#?/\s'"]+)=([^&;#\s'"]+)/g;

const maskParameters = (text: string): string =>
  text.replace(PARAMETER, (whole, separator: string, name: string) => (isCredentialParameter(name) ? `${separator}${name}=***` : whole));

/**
 * The URL with any `user:pass@` replaced by `***@` and the values of credential parameters by `***`:
 * what every read path, log line and error shows.
 */
export function maskRtspUrl(raw: string): string {
  try {
    const url = new URL(raw);
    if (url.username !== '' || url.password !== '') {
      url.username = '***';
      url.password = '';
    }
    return maskParameters(url.toString());
  } catch {
    // Not a URL at all: still never echo what could be a credential.
    return maskParameters(raw.replace(/\/\/[^/@\s]*@/g, '//***@'));
  }
}

/** Removes credentials from any text (ffmpeg argv, log lines, error messages) that may embed URLs. */
export function redactCredentials(text: string): string {
  return maskParameters(text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/@\s]+@/gi, '$1***@'));
}
