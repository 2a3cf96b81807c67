/**
 * Appends the link's query to every URI line of a playlist, so that a player resolving the relative
 * segment names keeps the signature (any HLS player works; none has to know our scheme).
 */
export function signPlaylist(playlist: string, query: string): string {
  return playlist
    .split('\n')
    .map((line) => {
      const trimmed = line.trim();
      if (trimmed === '' || trimmed.startsWith('#')) return line;
      return `${trimmed}${trimmed.includes('?') ? '&' : '?'}${query}`;
    })
    .join('\n');
}
