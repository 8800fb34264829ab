import { MoneyScalar } from '@rgb/kit';
import type { Resolvers } from '../generated/resolvers-types';
import { Mutation } from './Mutation';
import { Player } from './Player';
import { Query } from './Query';
import { Rolling } from './Rolling';

export const resolvers: Resolvers = { Money: MoneyScalar, Query, Mutation, Player, Rolling };
