-- CreateEnum
CREATE TYPE "agent"."agent_withdrawal_status" AS ENUM ('HOLDING', 'PENDING', 'APPROVED', 'DECLINING', 'DECLINED', 'PAID', 'PAY_DECLINING', 'PAY_DECLINED');

-- CreateEnum
CREATE TYPE "agent"."agent_coupon_grant_status" AS ENUM ('CHARGING', 'ISSUING', 'GRANTED', 'RECYCLING', 'REFUNDING', 'RECYCLED');

-- CreateEnum
CREATE TYPE "agent"."agent_balance_adjustment_status" AS ENUM ('APPLYING', 'APPLIED');

-- CreateEnum
CREATE TYPE "agent"."agent_outgoing_call_kind" AS ENUM ('WALLET_MOVEMENT', 'COUPON_ISSUE', 'COUPON_RECYCLE');

-- CreateEnum
CREATE TYPE "agent"."agent_outgoing_call_status" AS ENUM ('PENDING', 'DONE', 'REFUSED', 'FAILED');

-- CreateTable
CREATE TABLE "agent"."agent_withdrawal" (
    "id" UUID NOT NULL,
    "brand_id" UUID NOT NULL,
    "agent_id" UUID NOT NULL,
    "currency" TEXT NOT NULL,
    "amount" BIGINT NOT NULL,
    "status" "agent"."agent_withdrawal_status" NOT NULL,
    "idempotency_key" TEXT,
    "reason" TEXT,
    "decided_by" UUID,
    "decided_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "agent_withdrawal_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "agent"."agent_coupon_grant" (
    "id" UUID NOT NULL,
    "brand_id" UUID NOT NULL,
    "agent_id" UUID NOT NULL,
    "player_id" UUID NOT NULL,
    "currency" TEXT NOT NULL,
    "amount" BIGINT NOT NULL,
    "rolling_multiplier_bps" INTEGER NOT NULL,
    "valid_until" TIMESTAMPTZ(3),
    "status" "agent"."agent_coupon_grant_status" NOT NULL,
    "code" TEXT,
    "idempotency_key" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "agent_coupon_grant_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "agent"."agent_balance_adjustment" (
    "id" UUID NOT NULL,
    "brand_id" UUID NOT NULL,
    "agent_id" UUID NOT NULL,
    "currency" TEXT NOT NULL,
    "amount" BIGINT NOT NULL,
    "reason" TEXT NOT NULL,
    "status" "agent"."agent_balance_adjustment_status" NOT NULL,
    "idempotency_key" TEXT,
    "created_by" UUID NOT NULL,
    "request_id" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "agent_balance_adjustment_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "agent"."outgoing_call" (
    "id" UUID NOT NULL,
    "brand_id" UUID NOT NULL,
    "kind" "agent"."agent_outgoing_call_kind" NOT NULL,
    "subject_type" TEXT NOT NULL,
    "subject_id" UUID NOT NULL,
    "payload" JSONB NOT NULL,
    "status" "agent"."agent_outgoing_call_status" NOT NULL DEFAULT 'PENDING',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "next_attempt_at" TIMESTAMPTZ(3) NOT NULL,
    "last_error" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "done_at" TIMESTAMPTZ(3),

    CONSTRAINT "outgoing_call_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "agent_withdrawal_agent_id_brand_id_created_at_id_idx" ON "agent"."agent_withdrawal"("agent_id", "brand_id", "created_at" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "agent_withdrawal_brand_id_status_created_at_id_idx" ON "agent"."agent_withdrawal"("brand_id", "status", "created_at" DESC, "id" DESC);

-- CreateIndex
CREATE UNIQUE INDEX "agent_withdrawal_agent_id_brand_id_idempotency_key_key" ON "agent"."agent_withdrawal"("agent_id", "brand_id", "idempotency_key");

-- CreateIndex
CREATE INDEX "agent_coupon_grant_agent_id_brand_id_created_at_id_idx" ON "agent"."agent_coupon_grant"("agent_id", "brand_id", "created_at" DESC, "id" DESC);

-- CreateIndex
CREATE UNIQUE INDEX "agent_coupon_grant_agent_id_brand_id_idempotency_key_key" ON "agent"."agent_coupon_grant"("agent_id", "brand_id", "idempotency_key");

-- CreateIndex
CREATE INDEX "agent_balance_adjustment_agent_id_brand_id_created_at_id_idx" ON "agent"."agent_balance_adjustment"("agent_id", "brand_id", "created_at" DESC, "id" DESC);

-- CreateIndex
CREATE UNIQUE INDEX "agent_balance_adjustment_brand_id_idempotency_key_key" ON "agent"."agent_balance_adjustment"("brand_id", "idempotency_key");

-- CreateIndex
CREATE INDEX "outgoing_call_status_next_attempt_at_idx" ON "agent"."outgoing_call"("status", "next_attempt_at");

-- CreateIndex
CREATE INDEX "outgoing_call_subject_id_idx" ON "agent"."outgoing_call"("subject_id");
