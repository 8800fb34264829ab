import type { Resolvers } from '../generated/resolvers-types';
import { Agent } from './Agent';
import { AuditLogEntry } from './AuditLogEntry';
import { Brand } from './Brand';
import { BrandConfig } from './BrandConfig';
import { BrandConfigRevision } from './BrandConfigRevision';
import { DailyFigure } from './DailyFigure';
import { Mutation } from './Mutation';
import { Query } from './Query';
import { Role } from './Role';
import { StaffMember } from './StaffMember';
import { Subscription } from './Subscription';

export const resolvers: Resolvers = { Query, Mutation, Subscription, Agent, Brand, BrandConfig, BrandConfigRevision, StaffMember, Role, AuditLogEntry, DailyFigure };
