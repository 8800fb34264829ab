import type { Resolvers } from '../generated/resolvers-types';
import { Player } from './Player';
import { Wallet } from './Wallet';

export const resolvers: Resolvers = { Player, Wallet };
