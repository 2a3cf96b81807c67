import { randomBytes } from 'node:crypto';

/** A fresh namespace (database, index prefix, exchange prefix) so test files never see each other's data. */
export const testNamespace = (label: string): string =>
  `t${label
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '')
    .slice(0, 12)}${randomBytes(3).toString('hex')}`;
