import { readFileSync } from 'node:fs';
import path from 'node:path';
import { extendSchema, parse, type GraphQLSchema } from 'graphql';
import { schemaDir } from '../../../lib/paths';

const SUBSCRIPTION_SDL = `${readFileSync(path.join(schemaDir, 'subscriptions.graphql'), 'utf8')}\nextend schema { subscription: Subscription }\n`;

/**
 * The schema graphql-ws validates against: the supergraph's API schema (what clients may query)
 * plus the gateway's own Subscription type, whose types (Event, EventStats, StreamSession...) are
 * the supergraph's. Rebuilt whenever the supergraph is.
 */
export const subscriptionSchemaOf = (apiSchema: GraphQLSchema): GraphQLSchema => extendSchema(apiSchema, parse(SUBSCRIPTION_SDL));
