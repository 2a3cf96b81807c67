import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { AGGREGATE_OF, type DomainEventType } from '../../../lib/events/domain-events';
import { PREVIOUS_POSITION_HEADER, routingKeyOf } from '../../../lib/events/envelope';
import { amqpNames } from '../../../lib/events/topology';
import { repoRoot } from '../../../lib/paths';
import { OPERATIONS_FILE, readSchema, renderOperations, schemaOf } from '../../../scripts/docs/api-reference';

const doc = (name: string) => readFileSync(path.join(repoRoot, 'docs', 'api', name), 'utf8');

describe('API reference', () => {
  it('the committed docs/api/operations.md is what the generator writes', () => {
    // If this fails: run `npm run -s build && npm run -s docs` and commit docs/api/operations.md.
    expect(readFileSync(OPERATIONS_FILE, 'utf8')).toBe(renderOperations());
  });

  it('documents every root field of the schema with the role the code enforces', () => {
    const page = renderOperations();
    const { operations } = readSchema();
    expect(operations.length).toBeGreaterThan(20);
    for (const { node } of operations) expect(page).toContain(`### \`${node.name.value}\``);
    expect(page).toMatch(/### `registerCamera`[^#]*Role: admin\./);
    expect(page).toMatch(/### `recordEvent`[^#]*Role: operator\./);
    expect(page).toMatch(/### `events`[^#]*Role: viewer\./);
  });

  it('refuses an SDL description that names another role than the code enforces', () => {
    const schema = readSchema();
    const sdl = 'type Mutation {\n  "Role viewer."\n  registerCamera(input: RegisterCameraInput!): CommandResult!\n}';
    const [wrong] = schemaOf([{ sdl, servedBy: 'command' }]).operations;
    schema.operations = schema.operations.map((o) => (o.root === 'Mutation' && o.node.name.value === 'registerCamera' && wrong ? wrong : o));
    expect(() => renderOperations(schema)).toThrow('Mutation.registerCamera: its SDL description says role viewer, lib/auth/roles.ts requires admin');
  });

  it('refuses a note about an operation the schema no longer has', () => {
    const schema = readSchema();
    schema.operations = schema.operations.filter((o) => o.node.name.value !== 'eventStats');
    expect(() => renderOperations(schema)).toThrow('Query.eventStats');
  });

  it('errors.md has a section for every error code of lib/errors/app-error.ts', () => {
    const source = readFileSync(path.join(repoRoot, 'lib/errors/app-error.ts'), 'utf8');
    const union = /export type ErrorCode =([^;]*);/.exec(source)?.[1] ?? '';
    const codes = [...union.matchAll(/'([A-Z_]+)'/g)].map((m) => m[1] as string);
    expect(codes.length).toBeGreaterThan(10);
    const page = doc('errors.md');
    expect(codes.filter((code) => !page.includes(`\n## ${code}\n`))).toEqual([]);
  });

  it('amqp.md names every exchange, queue, routing key and header the code uses', () => {
    const page = doc('amqp.md');
    // The classic queues of earlier versions (`legacy`) are named too: operators meet them at an upgrade.
    const names = Object.values(amqpNames('sightline')).flatMap((name) => (typeof name === 'string' ? [name] : Object.values(name)));
    const routingKeys = (Object.keys(AGGREGATE_OF) as DomainEventType[]).map(routingKeyOf);
    const missing = [...names, ...routingKeys, PREVIOUS_POSITION_HEADER, 'x-rejection-reason'].filter((name) => !page.includes(`\`${name}\``));
    expect(missing).toEqual([]);
  });

  it('no file of the repository points to a path outside it', () => {
    const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], { cwd: repoRoot, encoding: 'utf8' })
      .split('\0')
      .filter((file) => file !== '' && file !== 'package-lock.json');
    // Built so that this file does not match itself.
    const outside = new RegExp(['\\.\\./shared/', '(^|[\\s(`\'"])/work/'].join('|'), 'm');
    const offenders = files.filter((file) => {
      try {
        return outside.test(readFileSync(path.join(repoRoot, file), 'utf8'));
      } catch {
        return false; // listed but deleted in the working tree
      }
    });
    expect(offenders).toEqual([]);
  });
});
