import { AppError } from '../errors/app-error';

/** Reads typed values out of an environment, collecting every problem before failing. */
export class EnvReader {
  private readonly problems: string[] = [];

  constructor(private readonly env: NodeJS.ProcessEnv) {}

  string(name: string, fallback: string): string {
    const value = this.env[name];
    return value === undefined || value === '' ? fallback : value;
  }

  optionalString(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value === '' ? undefined : value;
  }

  int(name: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
    const raw = this.env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      this.problems.push(`${name} must be an integer in [${min}, ${max}], got "${raw}"`);
      return fallback;
    }
    return value;
  }

  bool(name: string, fallback: boolean): boolean {
    const raw = this.env[name];
    if (raw === undefined || raw === '') return fallback;
    if (['1', 'true', 'yes'].includes(raw.toLowerCase())) return true;
    if (['0', 'false', 'no'].includes(raw.toLowerCase())) return false;
    this.problems.push(`${name} must be true or false, got "${raw}"`);
    return fallback;
  }

  url(name: string, fallback: string, protocols: readonly string[]): string {
    const value = this.string(name, fallback);
    try {
      const parsed = new URL(value);
      if (!protocols.includes(parsed.protocol)) {
        this.problems.push(`${name} must use ${protocols.join(' or ')}, got "${parsed.protocol}"`);
      }
    } catch {
      this.problems.push(`${name} is not a valid URL`);
    }
    return value;
  }

  /**
   * A comma-separated list of URLs (the nodes of a cluster), each checked like `url`. Blanks around
   * the commas are ignored; an empty entry is a problem. The first entry is the preferred node.
   */
  urlList(name: string, fallback: string, protocols: readonly string[]): string[] {
    const entries = this.string(name, fallback)
      .split(',')
      .map((entry) => entry.trim());
    entries.forEach((entry, i) => {
      if (entry === '') {
        this.problems.push(`${name}: entry ${i + 1} of the comma-separated list is empty`);
        return;
      }
      try {
        const parsed = new URL(entry);
        if (!protocols.includes(parsed.protocol)) {
          this.problems.push(`${name} must use ${protocols.join(' or ')}, got "${parsed.protocol}" (entry ${i + 1})`);
        }
      } catch {
        this.problems.push(`${name}: entry ${i + 1} is not a valid URL`);
      }
    });
    return entries.filter((entry) => entry !== '');
  }

  require(condition: boolean, problem: string): void {
    if (!condition) this.problems.push(problem);
  }

  report(problems: readonly string[]): void {
    this.problems.push(...problems);
  }

  /** Throws one error listing every invalid variable, so an operator fixes them all at once. */
  done(): void {
    if (this.problems.length > 0) {
      throw new AppError('BAD_CONFIGURATION', `invalid configuration: ${this.problems.join('; ')}`);
    }
  }
}
