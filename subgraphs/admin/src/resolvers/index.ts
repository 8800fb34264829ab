import type { Resolvers } from '../generated/resolvers-types';
import { Brand } from './Brand';
import { Mutation } from './Mutation';
import { Query } from './Query';

export const resolvers: Resolvers = { Query, Mutation, Brand };
