import type { Resolvers } from '../generated/resolvers-types';
import { Agent } from './Agent';
import { Mutation } from './Mutation';
import { Query } from './Query';

export const resolvers: Resolvers = { Query, Mutation, Agent };
