import type { Resolvers } from '../generated/resolvers-types';
import { Mutation } from './Mutation';
import { Player } from './Player';
import { Query } from './Query';

export const resolvers: Resolvers = { Query, Mutation, Player };
