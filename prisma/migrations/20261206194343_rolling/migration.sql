-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "rolling";

-- CreateEnum
CREATE TYPE "rolling"."RollingStatus" AS ENUM ('ACTIVE', 'COMPLETED', 'CANCELED', 'EXPIRED');

-- CreateEnum
CREATE TYPE "rolling"."RollingSource" AS ENUM ('DEPOSIT', 'PROMOTION');

-- CreateTable
CREATE TABLE "rolling"."rolling" (
    "id" UUID NOT NULL,
    "brand_id" UUID NOT NULL,
    "player_id" UUID NOT NULL,
    "currency" TEXT NOT NULL,
    "source" "rolling"."RollingSource" NOT NULL,
    "source_id" TEXT NOT NULL,
    "amount" BIGINT NOT NULL,
    "multiplier_bps" INTEGER NOT NULL,
    "required" BIGINT NOT NULL,
    "accrued" BIGINT NOT NULL DEFAULT 0,
    "status" "rolling"."RollingStatus" NOT NULL DEFAULT 'ACTIVE',
    "expires_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "ended_at" TIMESTAMPTZ(3),
    "cancel_reason" TEXT,
    "canceled_by" UUID,
    "wallet_confirmed_at" TIMESTAMPTZ(3),
    "notify_attempts" INTEGER NOT NULL DEFAULT 0,
    "next_notify_at" TIMESTAMPTZ(3),
    "last_notify_error" TEXT,

    CONSTRAINT "rolling_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "rolling"."bet_turnover" (
    "provider_code" TEXT NOT NULL,
    "transaction_id" TEXT NOT NULL,
    "brand_id" UUID NOT NULL,
    "player_id" UUID NOT NULL,
    "contribution" BIGINT NOT NULL,
    "rolled_back" BOOLEAN NOT NULL DEFAULT false,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "bet_turnover_pkey" PRIMARY KEY ("provider_code","transaction_id")
);

-- CreateTable
CREATE TABLE "rolling"."turnover_allocation" (
    "provider_code" TEXT NOT NULL,
    "transaction_id" TEXT NOT NULL,
    "rolling_id" UUID NOT NULL,
    "amount" BIGINT NOT NULL,

    CONSTRAINT "turnover_allocation_pkey" PRIMARY KEY ("provider_code","transaction_id","rolling_id")
);

-- CreateTable
CREATE TABLE "rolling"."processed_deposit" (
    "deposit_request_id" UUID NOT NULL,
    "brand_id" UUID NOT NULL,
    "player_id" UUID NOT NULL,
    "processed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "processed_deposit_pkey" PRIMARY KEY ("deposit_request_id")
);

-- CreateTable
CREATE TABLE "rolling"."outbox" (
    "id" BIGSERIAL NOT NULL,
    "event_id" UUID NOT NULL,
    "event_type" TEXT NOT NULL,
    "brand_id" UUID NOT NULL,
    "envelope" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "published_at" TIMESTAMPTZ(3),

    CONSTRAINT "outbox_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "rolling"."inbox" (
    "consumer" TEXT NOT NULL,
    "event_id" UUID NOT NULL,
    "applied_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "inbox_pkey" PRIMARY KEY ("consumer","event_id")
);

-- CreateIndex
CREATE INDEX "rolling_brand_id_player_id_created_at_idx" ON "rolling"."rolling"("brand_id", "player_id", "created_at");

-- CreateIndex
CREATE INDEX "rolling_brand_id_status_created_at_idx" ON "rolling"."rolling"("brand_id", "status", "created_at");

-- CreateIndex
CREATE UNIQUE INDEX "rolling_brand_id_source_source_id_key" ON "rolling"."rolling"("brand_id", "source", "source_id");

-- CreateIndex
CREATE INDEX "turnover_allocation_rolling_id_idx" ON "rolling"."turnover_allocation"("rolling_id");

-- CreateIndex
CREATE INDEX "processed_deposit_brand_id_player_id_idx" ON "rolling"."processed_deposit"("brand_id", "player_id");

-- CreateIndex
CREATE UNIQUE INDEX "outbox_event_id_key" ON "rolling"."outbox"("event_id");

-- AddForeignKey
ALTER TABLE "rolling"."turnover_allocation" ADD CONSTRAINT "turnover_allocation_provider_code_transaction_id_fkey" FOREIGN KEY ("provider_code", "transaction_id") REFERENCES "rolling"."bet_turnover"("provider_code", "transaction_id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "rolling"."turnover_allocation" ADD CONSTRAINT "turnover_allocation_rolling_id_fkey" FOREIGN KEY ("rolling_id") REFERENCES "rolling"."rolling"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- The publisher reads unpublished rows by id (as every outbox, see 20261206141217_outbox_unpublished_index).
CREATE INDEX "outbox_unpublished_idx" ON "rolling"."outbox"("id") WHERE "published_at" IS NULL;

-- The expiry job reads active requirements by expiry, the completion notifier completions the wallet has not confirmed.
CREATE INDEX "rolling_active_expiry_idx" ON "rolling"."rolling"("expires_at") WHERE "status" = 'ACTIVE' AND "expires_at" IS NOT NULL;
CREATE INDEX "rolling_unconfirmed_completion_idx" ON "rolling"."rolling"("next_notify_at") WHERE "status" = 'COMPLETED' AND "wallet_confirmed_at" IS NULL;
