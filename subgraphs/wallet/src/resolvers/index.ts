import { MoneyScalar } from '@rgb/kit';
import type { Resolvers } from '../generated/resolvers-types';
import { Agent } from './Agent';
import { LedgerEntry } from './LedgerEntry';
import { Mutation } from './Mutation';
import { Player } from './Player';
import { Query } from './Query';
import { DepositRequest, WithdrawalRequest } from './requests';
import { Wallet } from './Wallet';

export const resolvers: Resolvers = { Money: MoneyScalar, Query, Mutation, Player, Agent, Wallet, LedgerEntry, DepositRequest, WithdrawalRequest };
