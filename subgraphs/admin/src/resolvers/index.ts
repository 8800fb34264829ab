import type { Resolvers } from '../generated/resolvers-types';
import { Brand } from './Brand';
import { Mutation } from './Mutation';
import { Query } from './Query';
import { Subscription } from './Subscription';

export const resolvers: Resolvers = { Query, Mutation, Subscription, Brand };
