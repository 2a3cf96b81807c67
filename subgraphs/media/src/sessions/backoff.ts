/** Capped exponential backoff before reconnect attempt `failures` (1-based): 1 s, 2 s, 4 s, 8 s, 10 s, 10 s ... */
export function reconnectDelayMs(failures: number, baseMs = 1000, capMs = 10000): number {
  const exponent = Math.max(0, Math.min(failures - 1, 20));
  return Math.min(capMs, baseMs * 2 ** exponent);
}
