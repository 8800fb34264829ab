import { directSql, type PrismaClient, statement } from '@rgb/db';
import { type SecretBox, sha256 } from './secrets';

/** An operator as a request of it sees it: who it is and where its money moves. */
export interface Operator {
  id: string;
  code: string;
  callbackBaseUrl: string;
  providerCode: string;
  providerSecretSealed: Uint8Array;
  allowedJurisdictions: string[];
  defaultJurisdiction: string;
  timezone: string;
}

const OPERATOR_FIELDS = {
  id: true,
  code: true,
  callbackBaseUrl: true,
  providerCode: true,
  providerSecretSealed: true,
  allowedJurisdictions: true,
  defaultJurisdiction: true,
  timezone: true,
} as const;

const OPERATOR_BY_KEY = statement(
  `SELECT id, code, callback_base_url AS "callbackBaseUrl", provider_code AS "providerCode", provider_secret_sealed AS "providerSecretSealed",
          allowed_jurisdictions AS "allowedJurisdictions", default_jurisdiction AS "defaultJurisdiction", timezone
     FROM rgs.operator WHERE api_key_sha256 = $1`,
);

/**
 * The operator holding this API key, or null (one indexed lookup of the key's SHA-256). Every
 * request of the API runs it: a direct statement, not a model query (docs/BENCHMARKS.md bench:rgs).
 */
export async function operatorByKey(prisma: PrismaClient, apiKey: string): Promise<Operator | null> {
  const [operator] = await directSql(prisma).rows<Operator>(OPERATOR_BY_KEY, [sha256(apiKey)]);
  return operator ?? null;
}

export async function operatorById(prisma: PrismaClient, id: string): Promise<Operator> {
  return prisma.rgsOperator.findUniqueOrThrow({ where: { id }, select: OPERATOR_FIELDS });
}

/** An operator's limits in one currency, in minor units. */
export interface OperatorLimits {
  currency: string;
  maxBetMinor: bigint;
  dailyLossLimitMinor: bigint;
  dailyWinLimitMinor: bigint;
}

export interface NewOperator {
  code: string;
  name: string;
  apiKey: string;
  callbackBaseUrl: string;
  providerCode: string;
  providerSecret: string;
  webhookUrl?: string;
  webhookSecret?: string;
  allowedJurisdictions: string[];
  defaultJurisdiction: string;
  timezone: string;
  limits: OperatorLimits[];
}

/**
 * Creates the operator of `code` with its limits, unless it exists (then nothing changes: the
 * seed runs again on every start). Its API key is kept as its SHA-256, its secrets sealed.
 */
export async function createOperator(prisma: PrismaClient, box: SecretBox, input: NewOperator): Promise<string> {
  const operator = await prisma.rgsOperator.upsert({
    where: { code: input.code },
    update: {},
    create: {
      code: input.code,
      name: input.name,
      apiKeySha256: new Uint8Array(sha256(input.apiKey)),
      callbackBaseUrl: input.callbackBaseUrl,
      providerCode: input.providerCode,
      providerSecretSealed: box.seal('provider_secret', input.providerSecret),
      webhookUrl: input.webhookUrl ?? null,
      webhookSecretSealed: input.webhookSecret === undefined ? null : box.seal('webhook_secret', input.webhookSecret),
      allowedJurisdictions: input.allowedJurisdictions,
      defaultJurisdiction: input.defaultJurisdiction,
      timezone: input.timezone,
      limits: { create: input.limits },
    },
    select: { id: true },
  });
  return operator.id;
}
export { SecretBox } from './secrets';
