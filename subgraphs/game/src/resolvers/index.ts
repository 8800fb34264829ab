import { MoneyScalar } from '@rgb/kit';
import type { Resolvers } from '../generated/resolvers-types';
import { Mutation } from './Mutation';
import { Query } from './Query';
import { Game, GameBet, GameRound, Player } from './types';

export const resolvers: Resolvers = { Money: MoneyScalar, Query, Mutation, Player, Game, GameRound, GameBet };
