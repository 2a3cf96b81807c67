import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  Kind,
  parse,
  print,
  type DefinitionNode,
  type EnumTypeDefinitionNode,
  type FieldDefinitionNode,
  type InputObjectTypeDefinitionNode,
  type InputValueDefinitionNode,
  type ObjectTypeDefinitionNode,
  type ScalarTypeDefinitionNode,
  type TypeNode,
} from 'graphql';
import { ROLES, requiredRoleFor } from '../../lib/auth/roles';
import { repoRoot, schemaDir } from '../../lib/paths';
import { SUBGRAPHS } from '../../schema/compose';
import { NOTES } from './operation-notes';

export const OPERATIONS_FILE = path.join(repoRoot, 'docs', 'api', 'operations.md');
const REGENERATE = '`npm run -s build && npm run -s docs`';

/** The SDL files and who serves what each one declares. */
const SOURCES = [...SUBGRAPHS.map(({ name }) => ({ file: `${name}.graphql`, servedBy: name })), { file: 'subscriptions.graphql', servedBy: 'gateway' }];

const ROOTS = [
  { type: 'Query', title: 'Queries' },
  { type: 'Mutation', title: 'Mutations' },
  { type: 'Subscription', title: 'Subscriptions' },
] as const;

const KINDS = [
  { kind: Kind.OBJECT_TYPE_DEFINITION, title: 'Object types' },
  { kind: Kind.INPUT_OBJECT_TYPE_DEFINITION, title: 'Input types' },
  { kind: Kind.ENUM_TYPE_DEFINITION, title: 'Enums' },
  { kind: Kind.SCALAR_TYPE_DEFINITION, title: 'Scalars' },
] as const;
type TypeDefinition = ObjectTypeDefinitionNode | InputObjectTypeDefinitionNode | EnumTypeDefinitionNode | ScalarTypeDefinitionNode;
type TypeKind = TypeDefinition['kind'];

const isTypeDefinition = (definition: DefinitionNode): definition is TypeDefinition => KINDS.some(({ kind }) => kind === definition.kind);

interface Operation {
  root: string;
  node: FieldDefinitionNode;
  servedBy: string;
}

interface Member {
  node: FieldDefinitionNode | InputValueDefinitionNode;
  from: string[];
}

interface NamedType {
  name: string;
  kind: TypeKind;
  description: string | undefined;
  from: string[];
  members: Map<string, Member>;
  values: string[];
}

export interface Schema {
  operations: Operation[];
  types: Map<string, NamedType>;
}

/** The schema of the SDL files in schema/. */
export const readSchema = (): Schema => schemaOf(SOURCES.map(({ file, servedBy }) => ({ sdl: readFileSync(path.join(schemaDir, file), 'utf8'), servedBy })));

/** Every root field and every named type of some SDL; a type declared by several sources is merged. */
export function schemaOf(sources: ReadonlyArray<{ sdl: string; servedBy: string }>): Schema {
  const operations: Operation[] = [];
  const types = new Map<string, NamedType>();
  for (const { sdl, servedBy } of sources) {
    for (const definition of parse(sdl).definitions) {
      if (definition.kind === Kind.OBJECT_TYPE_DEFINITION && ROOTS.some((root) => root.type === definition.name.value)) {
        for (const node of definition.fields ?? []) operations.push({ root: definition.name.value, node, servedBy });
        continue;
      }
      if (!isTypeDefinition(definition)) continue;
      const name = definition.name.value;
      const type: NamedType = types.get(name) ?? { name, kind: definition.kind, description: undefined, from: [], members: new Map(), values: [] };
      types.set(name, type);
      type.from.push(servedBy);
      type.description ??= definition.description?.value;
      const members: ReadonlyArray<FieldDefinitionNode | InputValueDefinitionNode> = 'fields' in definition ? (definition.fields ?? []) : [];
      for (const node of members) {
        const member = type.members.get(node.name.value) ?? { node, from: [] };
        type.members.set(node.name.value, member);
        member.from.push(servedBy);
      }
      if (definition.kind === Kind.ENUM_TYPE_DEFINITION) {
        for (const value of definition.values ?? []) if (!type.values.includes(value.name.value)) type.values.push(value.name.value);
      }
    }
  }
  return { operations, types };
}

/** The reference page: operations by root type, then every type, with descriptions and notes. */
export function renderOperations(schema: Schema = readSchema()): string {
  checkNotes(schema);
  const out: string[] = [
    '# Operations and types',
    '',
    `> Generated from \`schema/*.graphql\`, \`lib/auth/roles.ts\` and \`scripts/docs/operation-notes.ts\` by \`scripts/docs/api-reference.ts\`: do not edit by hand, change those and run ${REGENERATE}.`,
    '',
    'Everything a client can send to the gateway at `/graphql`: queries and mutations over HTTP POST (or graphql-ws),',
    'subscriptions over graphql-ws on the same path. Roles, read your writes, versions and idempotency are explained in',
    '[semantics.md](semantics.md), error codes in [errors.md](errors.md).',
  ];
  for (const root of ROOTS) {
    out.push('', `## ${root.title}`);
    for (const operation of schema.operations.filter((o) => o.root === root.type)) out.push('', ...renderOperation(operation));
  }
  for (const { kind, title } of KINDS) {
    out.push('', `## ${title}`);
    const types = [...schema.types.values()].filter((t) => t.kind === kind).sort((a, b) => a.name.localeCompare(b.name));
    for (const type of types) out.push('', ...renderType(type));
  }
  return `${out.join('\n')}\n`;
}

function renderOperation({ root, node, servedBy }: Operation): string[] {
  const name = node.name.value;
  const role = requiredRoleFor(root, name);
  const description = withoutRole(`${root}.${name}`, node.description?.value, role);
  const where = servedBy === 'gateway' ? 'the gateway, over graphql-ws' : `the ${servedBy} subgraph`;
  return [
    `### \`${name}\``,
    '',
    '```graphql',
    signature(name, node.arguments ?? [], node.type),
    '```',
    '',
    `Role: ${role}. Served by ${where}. Returns ${typeLink(node.type)}.`,
    ...paragraph(description),
    ...paragraph(NOTES[`${root}.${name}`]),
  ];
}

function renderType(type: NamedType): string[] {
  const out = [`<a id="${anchorOf(type.name)}"></a>`, '', `### ${type.name}`];
  const servedBy = [...new Set(type.from)];
  out.push(...paragraph(type.description ? oneLine(type.description) : undefined), ...paragraph(NOTES[type.name]));
  if (type.kind === Kind.ENUM_TYPE_DEFINITION) out.push('', type.values.map((value) => `\`${value}\``).join(', '));
  if (type.members.size === 0) return out;
  const shared = type.kind === Kind.OBJECT_TYPE_DEFINITION && servedBy.length > 1;
  if (shared) out.push('', `Fields come from the ${servedBy.join(' and ')} subgraphs.`);
  out.push('', shared ? '| field | type | from | description |' : '| field | type | description |');
  out.push(shared ? '| --- | --- | --- | --- |' : '| --- | --- | --- |');
  for (const { node, from } of type.members.values()) {
    const args = node.kind === Kind.FIELD_DEFINITION ? (node.arguments ?? []) : [];
    const field = args.length > 0 ? `\`${node.name.value}(${args.map(argument).join(', ')})\`` : `\`${node.name.value}\``;
    const fallback = node.kind === Kind.INPUT_VALUE_DEFINITION && node.defaultValue ? ` = ${print(node.defaultValue)}` : '';
    const cells = [field, `${typeLink(node.type)}${fallback}`, ...(shared ? [from.join(', ')] : []), cell(node.description?.value)];
    out.push(`| ${cells.join(' | ')} |`);
  }
  return out;
}

function signature(name: string, args: readonly InputValueDefinitionNode[], type: TypeNode): string {
  const inline = `${name}${args.length > 0 ? `(${args.map(argument).join(', ')})` : ''}: ${print(type)}`;
  if (inline.length <= 100) return inline;
  return [`${name}(`, ...args.map((arg) => `  ${argument(arg)}`), `): ${print(type)}`].join('\n');
}

const argument = (arg: InputValueDefinitionNode): string => `${arg.name.value}: ${print(arg.type)}${arg.defaultValue ? ` = ${print(arg.defaultValue)}` : ''}`;

const BUILT_IN_SCALARS = new Set(['ID', 'String', 'Int', 'Float', 'Boolean']);

/** `Camera!` or `[Bucket!]!`, linked to the type's section (GraphQL's own scalars have none). */
function typeLink(type: TypeNode): string {
  let named: TypeNode = type;
  while (named.kind !== Kind.NAMED_TYPE) named = named.type;
  const printed = `\`${print(type)}\``;
  return BUILT_IN_SCALARS.has(named.name.value) ? printed : `[${printed}](#${anchorOf(named.name.value)})`;
}

const anchorOf = (typeName: string): string => `type-${typeName.toLowerCase()}`;

/**
 * An SDL description that begins with "Role <role>" must name the role lib/auth/roles.ts enforces:
 * the page shows the enforced one, and a description that disagrees stops the generator.
 */
function withoutRole(key: string, description: string | undefined, enforced: string): string | undefined {
  if (!description) return undefined;
  const match = new RegExp(`^Role (${ROLES.join('|')})[.;]\\s*`).exec(description);
  if (!match) return oneLine(description);
  if (match[1] !== enforced) throw new Error(`${key}: its SDL description says role ${match[1]}, lib/auth/roles.ts requires ${enforced}`);
  const rest = oneLine(description.slice(match[0].length));
  return /^[a-z]+[\s:,]/.test(rest) ? rest.charAt(0).toUpperCase() + rest.slice(1) : rest;
}

/** A description wrapped in the SDL (block strings) as one line. */
const oneLine = (text: string): string => text.replace(/\s*\n\s*/g, ' ').trim();

const cell = (text: string | undefined): string => (text ? oneLine(text).replace(/\|/g, '\\|') : '');

const paragraph = (text: string | undefined): string[] => (text ? ['', text] : []);

/** A note whose key names no operation and no type would be published about nothing. */
function checkNotes(schema: Schema): void {
  const known = new Set([...schema.operations.map((o) => `${o.root}.${o.node.name.value}`), ...schema.types.keys()]);
  const stale = Object.keys(NOTES).filter((key) => !known.has(key));
  if (stale.length > 0) throw new Error(`scripts/docs/operation-notes.ts has notes for what the schema no longer has: ${stale.join(', ')}`);
}

// `npm run docs` writes docs/api/operations.md; `-- --check` fails when it is out of date.
if (require.main === module) {
  const page = renderOperations();
  const relative = path.relative(repoRoot, OPERATIONS_FILE);
  if (process.argv.includes('--check')) {
    let committed = '';
    try {
      committed = readFileSync(OPERATIONS_FILE, 'utf8');
    } catch {
      // A missing file is simply out of date.
    }
    if (committed !== page) {
      console.error(`${relative} is out of date: run ${REGENERATE}`);
      process.exit(1);
    }
  } else {
    mkdirSync(path.dirname(OPERATIONS_FILE), { recursive: true });
    writeFileSync(OPERATIONS_FILE, page);
    console.log(`wrote ${relative}`);
  }
}
