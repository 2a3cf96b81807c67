import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { AppError } from '../errors/app-error';
import { parseRtspUrl } from './rtsp-url';

export interface ResolvedAddress {
  address: string;
  family: number;
}

/** Every address a host name stands for (getaddrinfo, as ffmpeg resolves it). */
export type HostResolver = (host: string) => Promise<readonly ResolvedAddress[]>;

const systemResolver: HostResolver = (host) => lookup(host, { all: true, verbatim: true });

/** getaddrinfo can wait through every resolver's timeouts; a camera check must not hang a request. */
const RESOLVE_TIMEOUT_MS = 5000;
/** getaddrinfo's answers that mean "this name does not exist", as opposed to "DNS did not answer". */
const NO_SUCH_NAME = new Set(['ENOTFOUND', 'ENODATA', 'EAI_NONAME', 'EAI_NODATA']);

const LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
const HOSTNAME = new RegExp(`^${LABEL}(?:\\.${LABEL})*$`);

/** The host part of a URL as names are compared: no IPv6 brackets, lower case, no trailing dot. */
const normalHost = (host: string): string =>
  host
    .replace(/^\[(.*)\]$/, '$1')
    .toLowerCase()
    .replace(/\.$/, '');

/**
 * `CAMERA_ALLOWED_HOSTS`: which hosts a camera URL may point at. Empty means any host. Otherwise a
 * comma-separated list of host names (allowed as named: whatever they resolve to) and of IP
 * addresses or CIDR networks (v4 or v6); a host that is not listed by name is resolved and every
 * address it resolves to must lie in a listed network. Checked at registration and before every
 * ffmpeg spawn, so a camera URL cannot make the media service connect anywhere else.
 */
export class CameraHostAllowList {
  private constructor(
    private readonly names: ReadonlySet<string>,
    private readonly networks: BlockList,
    private readonly entries: readonly string[],
    private readonly resolve: HostResolver,
  ) {}

  /** Parses the variable's value; `problems` lists every entry that is none of the three forms. */
  static parse(raw: string, resolve: HostResolver = systemResolver): { allowList: CameraHostAllowList; problems: string[] } {
    const names = new Set<string>();
    const networks = new BlockList();
    const entries: string[] = [];
    const problems: string[] = [];
    for (const entry of raw
      .split(',')
      .map((part) => part.trim())
      .filter(Boolean)) {
      const problem = addEntry(entry, names, networks);
      if (problem) problems.push(problem);
      else entries.push(entry);
    }
    return { allowList: new CameraHostAllowList(names, networks, entries, resolve), problems };
  }

  get allowsAnyHost(): boolean {
    return this.entries.length === 0;
  }

  /** The entries as configured (for a start-up log line). */
  describe(): string {
    return this.allowsAnyHost ? 'any host' : this.entries.join(',');
  }

  /**
   * Resolves when the URL's host is allowed. Throws BAD_USER_INPUT naming the host when it is not
   * (or when the name does not exist), UNAVAILABLE when DNS gave no answer (worth a retry).
   */
  async check(rawUrl: string): Promise<void> {
    if (this.allowsAnyHost) return;
    const host = normalHost(parseRtspUrl(rawUrl).hostname);
    if (this.names.has(host)) return;
    const literal = isIP(host);
    const addresses = literal === 0 ? await this.addressesOf(host) : [{ address: host, family: literal }];
    const outside = addresses.filter(({ address, family }) => !this.networks.check(address, family === 6 ? 'ipv6' : 'ipv4'));
    if (outside.length === 0) return;
    const resolvedTo = literal !== 0 ? '' : ` (it resolves to ${outside.map((a) => a.address).join(', ')})`;
    throw new AppError('BAD_USER_INPUT', `camera host ${host} is not allowed by CAMERA_ALLOWED_HOSTS${resolvedTo}`, { host });
  }

  private async addressesOf(host: string): Promise<readonly ResolvedAddress[]> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(Object.assign(new Error('DNS lookup timed out'), { code: 'ETIMEOUT' })), RESOLVE_TIMEOUT_MS);
    });
    try {
      const addresses = await Promise.race([this.resolve(host), timeout]);
      if (addresses.length === 0) throw Object.assign(new Error('no address'), { code: 'ENODATA' });
      return addresses;
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (typeof code === 'string' && NO_SUCH_NAME.has(code)) {
        throw new AppError('BAD_USER_INPUT', `camera host ${host} cannot be resolved, so CAMERA_ALLOWED_HOSTS cannot allow it`, { host });
      }
      throw new AppError('UNAVAILABLE', `camera host ${host} could not be resolved now (${typeof code === 'string' ? code : 'DNS error'}); try again`, {
        host,
      });
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Adds one entry to the names or the networks; returns why it is invalid, if it is. */
function addEntry(entry: string, names: Set<string>, networks: BlockList): string | undefined {
  const slash = entry.lastIndexOf('/');
  if (slash >= 0) {
    const address = normalHost(entry.slice(0, slash));
    const bits = entry.slice(slash + 1);
    const family = isIP(address);
    const max = family === 6 ? 128 : 32;
    if (family === 0 || !/^\d{1,3}$/.test(bits) || Number(bits) > max) return `"${entry}" is not a CIDR network (address/prefix)`;
    networks.addSubnet(address, Number(bits), family === 6 ? 'ipv6' : 'ipv4');
    return undefined;
  }
  const host = normalHost(entry);
  const family = isIP(host);
  if (family !== 0) {
    networks.addAddress(host, family === 6 ? 'ipv6' : 'ipv4');
    return undefined;
  }
  // A name needs a letter: "10.1" or "2130706433" would be read as addresses by getaddrinfo.
  if (!HOSTNAME.test(host) || !/[a-z]/.test(host)) return `"${entry}" is not a host name, an IP address or a CIDR network`;
  names.add(host);
  return undefined;
}
