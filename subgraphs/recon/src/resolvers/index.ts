import type { Resolvers } from '../generated/resolvers-types';
import { Mutation } from './Mutation';
import { Query } from './Query';
import { ReconDevice } from './ReconDevice';
import { ReconMatch } from './ReconMatch';
import { ReconMessage } from './ReconMessage';
import { ReconParse } from './ReconParse';
import { ReconPattern } from './ReconPattern';

export const resolvers: Resolvers = { Query, Mutation, ReconMessage, ReconParse, ReconMatch, ReconDevice, ReconPattern };
