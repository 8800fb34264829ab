import type { Resolvers } from '../generated/resolvers-types';
import { ContentEntry } from './ContentEntry';
import { Mutation } from './Mutation';
import { Player } from './Player';
import { PlayerMessage } from './PlayerMessage';
import { Query } from './Query';

export const resolvers: Resolvers = { Query, Mutation, Player, PlayerMessage, ContentEntry };
