-- CreateEnum
CREATE TYPE "wallet"."LedgerKind" AS ENUM ('DEPOSIT', 'WITHDRAWAL_HOLD', 'WITHDRAWAL_RELEASE', 'BET', 'WIN', 'BET_ROLLBACK', 'PROMOTION_CREDIT', 'PROMOTION_REVERSAL', 'ADJUSTMENT');

-- CreateEnum
CREATE TYPE "wallet"."RequestStatus" AS ENUM ('PENDING', 'APPROVED', 'DECLINED', 'PAID');

-- CreateEnum
CREATE TYPE "wallet"."ProviderTransactionKind" AS ENUM ('BET', 'WIN', 'ROLLBACK');

-- CreateEnum
CREATE TYPE "wallet"."BetStatus" AS ENUM ('OPEN', 'SETTLED', 'ROLLED_BACK');

-- CreateTable
CREATE TABLE "wallet"."ledger_entry" (
    "id" UUID NOT NULL,
    "account_id" UUID NOT NULL,
    "brand_id" UUID NOT NULL,
    "player_id" UUID NOT NULL,
    "kind" "wallet"."LedgerKind" NOT NULL,
    "amount" BIGINT NOT NULL,
    "balance_after" BIGINT NOT NULL,
    "reference" TEXT NOT NULL,
    "command_key" TEXT NOT NULL,
    "caused_by" TEXT NOT NULL,
    "reason" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ledger_entry_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "wallet"."deposit_request" (
    "id" UUID NOT NULL,
    "idempotency_key" TEXT,
    "brand_id" UUID NOT NULL,
    "player_id" UUID NOT NULL,
    "amount" BIGINT NOT NULL,
    "currency" CHAR(3) NOT NULL,
    "depositor_name" TEXT NOT NULL,
    "status" "wallet"."RequestStatus" NOT NULL DEFAULT 'PENDING',
    "reason" TEXT,
    "decided_by" TEXT,
    "decided_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "deposit_request_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "wallet"."withdrawal_request" (
    "id" UUID NOT NULL,
    "idempotency_key" TEXT,
    "brand_id" UUID NOT NULL,
    "player_id" UUID NOT NULL,
    "amount" BIGINT NOT NULL,
    "currency" CHAR(3) NOT NULL,
    "status" "wallet"."RequestStatus" NOT NULL DEFAULT 'PENDING',
    "reason" TEXT,
    "decided_by" TEXT,
    "decided_at" TIMESTAMPTZ(3),
    "paid_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "withdrawal_request_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "wallet"."provider_transaction" (
    "id" UUID NOT NULL,
    "provider_code" TEXT NOT NULL,
    "transaction_id" TEXT NOT NULL,
    "kind" "wallet"."ProviderTransactionKind" NOT NULL,
    "brand_id" UUID NOT NULL,
    "player_id" UUID NOT NULL,
    "amount" BIGINT,
    "round_id" TEXT NOT NULL,
    "game_code" TEXT NOT NULL,
    "game_category" TEXT NOT NULL,
    "reference_transaction_id" TEXT,
    "bet_status" "wallet"."BetStatus",
    "balance_after" BIGINT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "provider_transaction_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "wallet"."outbox" (
    "id" BIGSERIAL NOT NULL,
    "event_id" UUID NOT NULL,
    "event_type" TEXT NOT NULL,
    "brand_id" UUID NOT NULL,
    "envelope" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "published_at" TIMESTAMPTZ(3),

    CONSTRAINT "outbox_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "ledger_entry_account_id_created_at_id_idx" ON "wallet"."ledger_entry"("account_id", "created_at" DESC, "id" DESC);

-- CreateIndex
CREATE UNIQUE INDEX "ledger_entry_command_key_key" ON "wallet"."ledger_entry"("command_key");

-- CreateIndex
CREATE INDEX "deposit_request_brand_id_status_created_at_id_idx" ON "wallet"."deposit_request"("brand_id", "status", "created_at" DESC, "id" DESC);

-- CreateIndex
CREATE UNIQUE INDEX "deposit_request_player_id_idempotency_key_key" ON "wallet"."deposit_request"("player_id", "idempotency_key");

-- CreateIndex
CREATE INDEX "withdrawal_request_brand_id_status_created_at_id_idx" ON "wallet"."withdrawal_request"("brand_id", "status", "created_at" DESC, "id" DESC);

-- CreateIndex
CREATE UNIQUE INDEX "withdrawal_request_player_id_idempotency_key_key" ON "wallet"."withdrawal_request"("player_id", "idempotency_key");

-- CreateIndex
CREATE INDEX "provider_transaction_provider_code_player_id_round_id_idx" ON "wallet"."provider_transaction"("provider_code", "player_id", "round_id");

-- CreateIndex
CREATE UNIQUE INDEX "provider_transaction_provider_code_transaction_id_key" ON "wallet"."provider_transaction"("provider_code", "transaction_id");

-- CreateIndex
CREATE UNIQUE INDEX "outbox_event_id_key" ON "wallet"."outbox"("event_id");

-- CreateIndex
CREATE INDEX "outbox_published_at_id_idx" ON "wallet"."outbox"("published_at", "id");

-- AddForeignKey
ALTER TABLE "wallet"."ledger_entry" ADD CONSTRAINT "ledger_entry_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "wallet"."wallet_account"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
