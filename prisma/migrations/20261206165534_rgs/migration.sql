-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "rgs";

-- CreateEnum
CREATE TYPE "rgs"."RgsBetStatus" AS ENUM ('DEBITING', 'DEBITED', 'SETTLED', 'VOID', 'ROLLING_BACK', 'ROLLED_BACK');

-- CreateEnum
CREATE TYPE "rgs"."RgsBetAnswer" AS ENUM ('SETTLED', 'PENDING_SETTLEMENT');

-- CreateEnum
CREATE TYPE "rgs"."RgsSettlementAction" AS ENUM ('WIN', 'ROLLBACK');

-- CreateTable
CREATE TABLE "rgs"."operator" (
    "id" UUID NOT NULL,
    "code" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "api_key_sha256" BYTEA NOT NULL,
    "callback_base_url" TEXT NOT NULL,
    "provider_code" TEXT NOT NULL,
    "provider_secret_sealed" BYTEA NOT NULL,
    "webhook_url" TEXT,
    "webhook_secret_sealed" BYTEA,
    "allowed_jurisdictions" TEXT[],
    "default_jurisdiction" TEXT NOT NULL,
    "timezone" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "operator_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "rgs"."operator_limit" (
    "operator_id" UUID NOT NULL,
    "currency" CHAR(3) NOT NULL,
    "max_bet_minor" BIGINT NOT NULL,
    "daily_loss_limit_minor" BIGINT NOT NULL,
    "daily_win_limit_minor" BIGINT NOT NULL,

    CONSTRAINT "operator_limit_pkey" PRIMARY KEY ("operator_id","currency")
);

-- CreateTable
CREATE TABLE "rgs"."game" (
    "id" UUID NOT NULL,
    "code" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "house_edge_bps" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "game_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "rgs"."player" (
    "id" UUID NOT NULL,
    "operator_id" UUID NOT NULL,
    "external_id" TEXT NOT NULL,
    "currency" CHAR(3) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "player_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "rgs"."session" (
    "id" UUID NOT NULL,
    "operator_id" UUID NOT NULL,
    "player_id" UUID NOT NULL,
    "game_id" UUID NOT NULL,
    "token_sha256" BYTEA NOT NULL,
    "jurisdiction" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "revoked_at" TIMESTAMPTZ(3),

    CONSTRAINT "session_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "rgs"."seed_pair" (
    "id" UUID NOT NULL,
    "operator_id" UUID NOT NULL,
    "player_id" UUID NOT NULL,
    "server_seed_sealed" BYTEA NOT NULL,
    "server_seed_hash" TEXT NOT NULL,
    "client_seed" TEXT NOT NULL,
    "next_nonce" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revealed_at" TIMESTAMPTZ(3),

    CONSTRAINT "seed_pair_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "rgs"."round" (
    "id" UUID NOT NULL,
    "operator_id" UUID NOT NULL,
    "player_id" UUID NOT NULL,
    "game_id" UUID NOT NULL,
    "seed_pair_id" UUID NOT NULL,
    "nonce" INTEGER NOT NULL,
    "roll" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "round_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "rgs"."bet" (
    "id" UUID NOT NULL,
    "operator_id" UUID NOT NULL,
    "player_id" UUID NOT NULL,
    "session_id" UUID NOT NULL,
    "round_id" UUID NOT NULL,
    "idempotency_key" TEXT NOT NULL,
    "request_sha256" BYTEA NOT NULL,
    "currency" CHAR(3) NOT NULL,
    "amount_minor" BIGINT NOT NULL,
    "pick" INTEGER NOT NULL,
    "win_minor" BIGINT NOT NULL,
    "status" "rgs"."RgsBetStatus" NOT NULL,
    "error_code" TEXT,
    "answered_status" "rgs"."RgsBetAnswer",
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "settled_at" TIMESTAMPTZ(3),

    CONSTRAINT "bet_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "rgs"."settlement_outbox" (
    "id" BIGSERIAL NOT NULL,
    "operator_id" UUID NOT NULL,
    "bet_id" UUID NOT NULL,
    "action" "rgs"."RgsSettlementAction" NOT NULL,
    "transaction_id" TEXT NOT NULL,
    "amount_minor" BIGINT,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "next_attempt_at" TIMESTAMPTZ(3) NOT NULL,
    "last_error" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "completed_at" TIMESTAMPTZ(3),
    "failed_at" TIMESTAMPTZ(3),

    CONSTRAINT "settlement_outbox_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "rgs"."event" (
    "operator_id" UUID NOT NULL,
    "seq" BIGINT NOT NULL,
    "id" UUID NOT NULL,
    "type" TEXT NOT NULL,
    "occurred_at" TIMESTAMPTZ(3) NOT NULL,
    "data" JSONB NOT NULL,

    CONSTRAINT "event_pkey" PRIMARY KEY ("operator_id","seq")
);

-- CreateTable
CREATE TABLE "rgs"."event_counter" (
    "operator_id" UUID NOT NULL,
    "last_seq" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "event_counter_pkey" PRIMARY KEY ("operator_id")
);

-- CreateTable
CREATE TABLE "rgs"."audit_log" (
    "id" BIGSERIAL NOT NULL,
    "operator_id" UUID NOT NULL,
    "action" TEXT NOT NULL,
    "target_type" TEXT NOT NULL,
    "target_id" TEXT NOT NULL,
    "details" JSONB NOT NULL,
    "request_id" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "audit_log_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "operator_code_key" ON "rgs"."operator"("code");

-- CreateIndex
CREATE UNIQUE INDEX "operator_api_key_sha256_key" ON "rgs"."operator"("api_key_sha256");

-- CreateIndex
CREATE UNIQUE INDEX "game_code_key" ON "rgs"."game"("code");

-- CreateIndex
CREATE UNIQUE INDEX "player_operator_id_external_id_key" ON "rgs"."player"("operator_id", "external_id");

-- CreateIndex
CREATE UNIQUE INDEX "session_token_sha256_key" ON "rgs"."session"("token_sha256");

-- CreateIndex
CREATE INDEX "session_operator_id_player_id_idx" ON "rgs"."session"("operator_id", "player_id");

-- CreateIndex
CREATE INDEX "seed_pair_operator_id_player_id_idx" ON "rgs"."seed_pair"("operator_id", "player_id");

-- CreateIndex
CREATE INDEX "round_operator_id_idx" ON "rgs"."round"("operator_id");

-- CreateIndex
CREATE UNIQUE INDEX "round_seed_pair_id_nonce_key" ON "rgs"."round"("seed_pair_id", "nonce");

-- CreateIndex
CREATE UNIQUE INDEX "bet_round_id_key" ON "rgs"."bet"("round_id");

-- CreateIndex
CREATE INDEX "bet_player_id_created_at_idx" ON "rgs"."bet"("player_id", "created_at");

-- CreateIndex
CREATE UNIQUE INDEX "bet_operator_id_idempotency_key_key" ON "rgs"."bet"("operator_id", "idempotency_key");

-- CreateIndex
CREATE UNIQUE INDEX "settlement_outbox_transaction_id_key" ON "rgs"."settlement_outbox"("transaction_id");

-- CreateIndex
CREATE INDEX "settlement_outbox_bet_id_idx" ON "rgs"."settlement_outbox"("bet_id");

-- CreateIndex
CREATE UNIQUE INDEX "event_id_key" ON "rgs"."event"("id");

-- CreateIndex
CREATE INDEX "audit_log_operator_id_id_idx" ON "rgs"."audit_log"("operator_id", "id" DESC);

-- AddForeignKey
ALTER TABLE "rgs"."operator_limit" ADD CONSTRAINT "operator_limit_operator_id_fkey" FOREIGN KEY ("operator_id") REFERENCES "rgs"."operator"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "rgs"."player" ADD CONSTRAINT "player_operator_id_fkey" FOREIGN KEY ("operator_id") REFERENCES "rgs"."operator"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "rgs"."session" ADD CONSTRAINT "session_player_id_fkey" FOREIGN KEY ("player_id") REFERENCES "rgs"."player"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "rgs"."session" ADD CONSTRAINT "session_game_id_fkey" FOREIGN KEY ("game_id") REFERENCES "rgs"."game"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "rgs"."seed_pair" ADD CONSTRAINT "seed_pair_player_id_fkey" FOREIGN KEY ("player_id") REFERENCES "rgs"."player"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "rgs"."round" ADD CONSTRAINT "round_player_id_fkey" FOREIGN KEY ("player_id") REFERENCES "rgs"."player"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "rgs"."round" ADD CONSTRAINT "round_game_id_fkey" FOREIGN KEY ("game_id") REFERENCES "rgs"."game"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "rgs"."round" ADD CONSTRAINT "round_seed_pair_id_fkey" FOREIGN KEY ("seed_pair_id") REFERENCES "rgs"."seed_pair"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "rgs"."bet" ADD CONSTRAINT "bet_player_id_fkey" FOREIGN KEY ("player_id") REFERENCES "rgs"."player"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "rgs"."bet" ADD CONSTRAINT "bet_session_id_fkey" FOREIGN KEY ("session_id") REFERENCES "rgs"."session"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "rgs"."bet" ADD CONSTRAINT "bet_round_id_fkey" FOREIGN KEY ("round_id") REFERENCES "rgs"."round"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "rgs"."settlement_outbox" ADD CONSTRAINT "settlement_outbox_bet_id_fkey" FOREIGN KEY ("bet_id") REFERENCES "rgs"."bet"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Written by hand (a Prisma schema cannot declare a partial index, and leaves these in place).
-- One active seed pair per player: the pair of revealed_at null is the one bets play.
CREATE UNIQUE INDEX "seed_pair_active_idx" ON "rgs"."seed_pair"("player_id") WHERE "revealed_at" IS NULL;

-- The settlements not yet confirmed (pending, and failed ones awaiting a person): the settlement
-- loop claims its due rows, and health and the gauges count them, through this index alone.
CREATE INDEX "settlement_outbox_open_idx" ON "rgs"."settlement_outbox"("next_attempt_at") WHERE "completed_at" IS NULL;
