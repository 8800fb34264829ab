-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "game";

-- CreateEnum
CREATE TYPE "game"."GameCategory" AS ENUM ('SLOTS', 'LIVE_CASINO', 'TABLE', 'OTHER');

-- CreateEnum
CREATE TYPE "game"."RoundStatus" AS ENUM ('OPEN', 'CLOSED');

-- CreateEnum
CREATE TYPE "game"."GameBetKind" AS ENUM ('BET', 'WIN', 'ROLLBACK');

-- CreateTable
CREATE TABLE "game"."provider" (
    "id" UUID NOT NULL,
    "code" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "secret" TEXT NOT NULL,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "timestamp_window_seconds" INTEGER NOT NULL DEFAULT 300,
    "launch_url" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "provider_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "game"."game" (
    "id" UUID NOT NULL,
    "code" TEXT NOT NULL,
    "provider_id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "category" "game"."GameCategory" NOT NULL,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "game_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "game"."provider_account" (
    "id" UUID NOT NULL,
    "provider_id" UUID NOT NULL,
    "brand_id" UUID NOT NULL,
    "player_id" UUID NOT NULL,
    "account_name" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "provider_account_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "game"."callback_log" (
    "id" UUID NOT NULL,
    "provider_id" UUID NOT NULL,
    "request_id" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "request_body" JSONB NOT NULL,
    "response_status" INTEGER NOT NULL,
    "response_body" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "callback_log_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "game"."game_round" (
    "id" UUID NOT NULL,
    "brand_id" UUID NOT NULL,
    "player_id" UUID NOT NULL,
    "provider_id" UUID NOT NULL,
    "game_id" UUID NOT NULL,
    "round_id" TEXT NOT NULL,
    "status" "game"."RoundStatus" NOT NULL DEFAULT 'OPEN',
    "total_bet" BIGINT NOT NULL DEFAULT 0,
    "total_win" BIGINT NOT NULL DEFAULT 0,
    "currency" CHAR(3) NOT NULL,
    "opened_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "closed_at" TIMESTAMPTZ(3),

    CONSTRAINT "game_round_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "game"."game_bet" (
    "id" UUID NOT NULL,
    "round_pk" UUID NOT NULL,
    "kind" "game"."GameBetKind" NOT NULL,
    "transaction_id" TEXT NOT NULL,
    "reference_transaction_id" TEXT,
    "amount" BIGINT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "game_bet_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "provider_code_key" ON "game"."provider"("code");

-- CreateIndex
CREATE UNIQUE INDEX "game_code_key" ON "game"."game"("code");

-- CreateIndex
CREATE INDEX "game_provider_id_created_at_id_idx" ON "game"."game"("provider_id", "created_at" DESC, "id" DESC);

-- CreateIndex
CREATE UNIQUE INDEX "provider_account_provider_id_account_name_key" ON "game"."provider_account"("provider_id", "account_name");

-- CreateIndex
CREATE UNIQUE INDEX "provider_account_provider_id_player_id_key" ON "game"."provider_account"("provider_id", "player_id");

-- CreateIndex
CREATE INDEX "callback_log_provider_id_created_at_idx" ON "game"."callback_log"("provider_id", "created_at" DESC);

-- CreateIndex
CREATE UNIQUE INDEX "callback_log_provider_id_request_id_key" ON "game"."callback_log"("provider_id", "request_id");

-- CreateIndex
CREATE INDEX "game_round_brand_id_player_id_opened_at_id_idx" ON "game"."game_round"("brand_id", "player_id", "opened_at" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "game_round_brand_id_game_id_opened_at_idx" ON "game"."game_round"("brand_id", "game_id", "opened_at" DESC);

-- CreateIndex
CREATE UNIQUE INDEX "game_round_provider_id_player_id_round_id_key" ON "game"."game_round"("provider_id", "player_id", "round_id");

-- CreateIndex
CREATE UNIQUE INDEX "game_bet_round_pk_transaction_id_key" ON "game"."game_bet"("round_pk", "transaction_id");

-- AddForeignKey
ALTER TABLE "game"."game" ADD CONSTRAINT "game_provider_id_fkey" FOREIGN KEY ("provider_id") REFERENCES "game"."provider"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "game"."provider_account" ADD CONSTRAINT "provider_account_provider_id_fkey" FOREIGN KEY ("provider_id") REFERENCES "game"."provider"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "game"."game_bet" ADD CONSTRAINT "game_bet_round_pk_fkey" FOREIGN KEY ("round_pk") REFERENCES "game"."game_round"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
