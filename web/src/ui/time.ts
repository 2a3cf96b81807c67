/**
 * A point in time as the page shows it: the time alone when it is today, otherwise the date, the
 * time and the time zone, so "01:16" is never read as today when it was yesterday. Locale and time
 * zone are the browser's unless given.
 */
export function formatWhen(iso: string | number, now: number = Date.now(), locale?: string, timeZone?: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  const day = (d: Date) => d.toLocaleDateString('en-CA', { timeZone });
  if (day(date) === day(new Date(now))) {
    return date.toLocaleTimeString(locale, { hour: '2-digit', minute: '2-digit', second: '2-digit', timeZone });
  }
  return date.toLocaleString(locale, {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    timeZoneName: 'short',
    timeZone,
  });
}
