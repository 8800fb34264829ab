-- CreateEnum
CREATE TYPE "promotion"."ProgramKind" AS ENUM ('REBATE', 'CASHBACK', 'LOSSBACK');

-- CreateEnum
CREATE TYPE "promotion"."ProgramPeriod" AS ENUM ('DAILY', 'WEEKLY');

-- CreateEnum
CREATE TYPE "promotion"."ProgramStatus" AS ENUM ('ACTIVE', 'DISABLED');

-- CreateEnum
CREATE TYPE "promotion"."SettlementItemStatus" AS ENUM ('PENDING', 'PAID', 'FAILED', 'SKIPPED');

-- AlterTable
ALTER TABLE "promotion"."coupon_redemption" ADD COLUMN     "reversed" BIGINT NOT NULL DEFAULT 0;

-- CreateTable
CREATE TABLE "promotion"."inbox" (
    "consumer" TEXT NOT NULL,
    "event_id" UUID NOT NULL,
    "applied_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "inbox_pkey" PRIMARY KEY ("consumer","event_id")
);

-- CreateTable
CREATE TABLE "promotion"."player_day_activity" (
    "brand_id" UUID NOT NULL,
    "player_id" UUID NOT NULL,
    "day" DATE NOT NULL,
    "game_category" TEXT NOT NULL,
    "stake" BIGINT NOT NULL DEFAULT 0,
    "win" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "player_day_activity_pkey" PRIMARY KEY ("brand_id","player_id","day","game_category")
);

-- CreateTable
CREATE TABLE "promotion"."bet" (
    "provider_code" TEXT NOT NULL,
    "transaction_id" TEXT NOT NULL,
    "brand_id" UUID NOT NULL,
    "player_id" UUID NOT NULL,
    "day" DATE NOT NULL,
    "game_category" TEXT NOT NULL,
    "stake" BIGINT NOT NULL,
    "rolled_back" BOOLEAN NOT NULL DEFAULT false,

    CONSTRAINT "bet_pkey" PRIMARY KEY ("provider_code","transaction_id")
);

-- CreateTable
CREATE TABLE "promotion"."deposit_episode" (
    "deposit_request_id" UUID NOT NULL,
    "brand_id" UUID NOT NULL,
    "player_id" UUID NOT NULL,
    "amount" BIGINT NOT NULL,
    "balance_after" BIGINT NOT NULL,
    "approved_at" TIMESTAMPTZ(3) NOT NULL,
    "closed_at" TIMESTAMPTZ(3),

    CONSTRAINT "deposit_episode_pkey" PRIMARY KEY ("deposit_request_id")
);

-- CreateTable
CREATE TABLE "promotion"."deposit_low" (
    "id" BIGSERIAL NOT NULL,
    "deposit_request_id" UUID NOT NULL,
    "balance" BIGINT NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL,
    "day" DATE NOT NULL,

    CONSTRAINT "deposit_low_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "promotion"."program" (
    "id" UUID NOT NULL,
    "brand_id" UUID NOT NULL,
    "kind" "promotion"."ProgramKind" NOT NULL,
    "name" TEXT NOT NULL,
    "currency" TEXT NOT NULL,
    "period" "promotion"."ProgramPeriod" NOT NULL,
    "rate_bps" INTEGER,
    "category_rates_bps" JSONB,
    "loss_threshold" BIGINT,
    "min_payout" BIGINT NOT NULL DEFAULT 0,
    "player_cap" BIGINT,
    "budget" BIGINT,
    "spent" BIGINT NOT NULL DEFAULT 0,
    "rolling_multiplier_bps" INTEGER NOT NULL,
    "status" "promotion"."ProgramStatus" NOT NULL DEFAULT 'ACTIVE',
    "settle_from" DATE NOT NULL,
    "created_by" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "program_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "promotion"."settlement_run" (
    "id" UUID NOT NULL,
    "brand_id" UUID NOT NULL,
    "program_id" UUID NOT NULL,
    "period_start" DATE NOT NULL,
    "period_end" DATE NOT NULL,
    "requested_by" UUID,
    "total" BIGINT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "settlement_run_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "promotion"."settlement_item" (
    "id" UUID NOT NULL,
    "brand_id" UUID NOT NULL,
    "run_id" UUID NOT NULL,
    "program_id" UUID NOT NULL,
    "player_id" UUID NOT NULL,
    "currency" TEXT NOT NULL,
    "basis" BIGINT NOT NULL,
    "computed" BIGINT NOT NULL,
    "amount" BIGINT NOT NULL,
    "capped_by" TEXT,
    "rolling_multiplier_bps" INTEGER NOT NULL,
    "status" "promotion"."SettlementItemStatus" NOT NULL DEFAULT 'PENDING',
    "rolling_id" UUID,
    "pay_attempts" INTEGER NOT NULL DEFAULT 0,
    "next_pay_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_pay_error" TEXT,
    "paid_at" TIMESTAMPTZ(3),
    "reversed" BIGINT NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "settlement_item_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "player_day_activity_brand_id_day_idx" ON "promotion"."player_day_activity"("brand_id", "day");

-- CreateIndex
CREATE INDEX "deposit_episode_brand_id_player_id_approved_at_idx" ON "promotion"."deposit_episode"("brand_id", "player_id", "approved_at");

-- CreateIndex
CREATE INDEX "deposit_low_deposit_request_id_balance_idx" ON "promotion"."deposit_low"("deposit_request_id", "balance");

-- CreateIndex
CREATE INDEX "program_brand_id_created_at_idx" ON "promotion"."program"("brand_id", "created_at");

-- CreateIndex
CREATE INDEX "settlement_run_brand_id_created_at_idx" ON "promotion"."settlement_run"("brand_id", "created_at");

-- CreateIndex
CREATE UNIQUE INDEX "settlement_run_program_id_period_start_key" ON "promotion"."settlement_run"("program_id", "period_start");

-- CreateIndex
CREATE INDEX "settlement_item_status_next_pay_at_idx" ON "promotion"."settlement_item"("status", "next_pay_at");

-- CreateIndex
CREATE INDEX "settlement_item_brand_id_player_id_created_at_idx" ON "promotion"."settlement_item"("brand_id", "player_id", "created_at");

-- CreateIndex
CREATE UNIQUE INDEX "settlement_item_run_id_player_id_key" ON "promotion"."settlement_item"("run_id", "player_id");

-- AddForeignKey
ALTER TABLE "promotion"."deposit_low" ADD CONSTRAINT "deposit_low_deposit_request_id_fkey" FOREIGN KEY ("deposit_request_id") REFERENCES "promotion"."deposit_episode"("deposit_request_id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "promotion"."settlement_run" ADD CONSTRAINT "settlement_run_program_id_fkey" FOREIGN KEY ("program_id") REFERENCES "promotion"."program"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "promotion"."settlement_item" ADD CONSTRAINT "settlement_item_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "promotion"."settlement_run"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
