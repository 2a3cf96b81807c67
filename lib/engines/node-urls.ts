/**
 * The node URLs of `AMQP_URL` or `ELASTICSEARCH_URL`: one URL, or a cluster's nodes separated by
 * commas (the configuration has checked each). The first is the preferred node.
 */
export function nodeUrls(list: string): string[] {
  return list
    .split(',')
    .map((url) => url.trim())
    .filter((url) => url !== '');
}

/** A node URL without its credentials, for logs. */
export function describeNode(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}`;
  } catch {
    return 'an invalid URL';
  }
}
