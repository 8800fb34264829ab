-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "recon";

-- CreateEnum
CREATE TYPE "recon"."recon_channel" AS ENUM ('SMS', 'PUSH', 'TELEGRAM');

-- CreateEnum
CREATE TYPE "recon"."recon_message_status" AS ENUM ('RECEIVED', 'IGNORED', 'WAITING', 'MATCHED', 'APPROVED', 'DUPLICATE', 'REVIEW', 'DISMISSED');

-- CreateEnum
CREATE TYPE "recon"."recon_match_status" AS ENUM ('APPROVING', 'APPROVED');

-- CreateTable
CREATE TABLE "admin"."recon_review_totals" (
    "brand_id" UUID NOT NULL,
    "open_count" INTEGER NOT NULL DEFAULT 0,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "recon_review_totals_pkey" PRIMARY KEY ("brand_id")
);

-- CreateTable
CREATE TABLE "recon"."device" (
    "id" TEXT NOT NULL,
    "brand_id" UUID NOT NULL,
    "label" TEXT NOT NULL,
    "active" BOOLEAN NOT NULL DEFAULT true,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "device_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "recon"."message" (
    "id" UUID NOT NULL,
    "brand_id" UUID NOT NULL,
    "device_id" TEXT NOT NULL,
    "channel" "recon"."recon_channel" NOT NULL,
    "sender" TEXT NOT NULL,
    "body" TEXT NOT NULL,
    "received_at" TIMESTAMPTZ(3) NOT NULL,
    "dedupe_key" TEXT NOT NULL,
    "status" "recon"."recon_message_status" NOT NULL DEFAULT 'RECEIVED',
    "parse_kind" TEXT,
    "ignored_reason" TEXT,
    "bank" TEXT,
    "amount" BIGINT,
    "depositor" TEXT,
    "depositor_masked" BOOLEAN,
    "from_bank_sender" BOOLEAN,
    "occurred_at" TIMESTAMPTZ(3),
    "account_suffix" TEXT,
    "balance" BIGINT,
    "parsed_at" TIMESTAMPTZ(3),
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "next_attempt_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "give_up_at" TIMESTAMPTZ(3),
    "review_reason" TEXT,
    "duplicate_of_id" UUID,
    "resolved_by" TEXT,
    "resolved_at" TIMESTAMPTZ(3),
    "resolution_note" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "message_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "recon"."match" (
    "id" UUID NOT NULL,
    "message_id" UUID NOT NULL,
    "request_id" UUID NOT NULL,
    "brand_id" UUID NOT NULL,
    "player_id" UUID,
    "amount" BIGINT NOT NULL,
    "status" "recon"."recon_match_status" NOT NULL DEFAULT 'APPROVING',
    "matched_by" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "last_error" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "approved_at" TIMESTAMPTZ(3),

    CONSTRAINT "match_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "recon"."pattern" (
    "id" UUID NOT NULL,
    "brand_id" UUID NOT NULL,
    "bank" TEXT NOT NULL,
    "pattern" TEXT NOT NULL,
    "senders" TEXT[],
    "created_by" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "pattern_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "recon"."outbox" (
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
CREATE INDEX "device_brand_id_idx" ON "recon"."device"("brand_id");

-- CreateIndex
CREATE UNIQUE INDEX "message_dedupe_key_key" ON "recon"."message"("dedupe_key");

-- CreateIndex
CREATE INDEX "message_status_next_attempt_at_idx" ON "recon"."message"("status", "next_attempt_at");

-- CreateIndex
CREATE INDEX "message_brand_id_status_created_at_id_idx" ON "recon"."message"("brand_id", "status", "created_at" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "message_brand_id_created_at_id_idx" ON "recon"."message"("brand_id", "created_at" DESC, "id" DESC);

-- CreateIndex
CREATE UNIQUE INDEX "match_message_id_key" ON "recon"."match"("message_id");

-- CreateIndex
CREATE UNIQUE INDEX "match_request_id_key" ON "recon"."match"("request_id");

-- CreateIndex
CREATE INDEX "match_status_created_at_idx" ON "recon"."match"("status", "created_at");

-- CreateIndex
CREATE UNIQUE INDEX "pattern_brand_id_bank_key" ON "recon"."pattern"("brand_id", "bank");

-- CreateIndex
CREATE UNIQUE INDEX "outbox_event_id_key" ON "recon"."outbox"("event_id");

-- AddForeignKey
ALTER TABLE "recon"."message" ADD CONSTRAINT "message_device_id_fkey" FOREIGN KEY ("device_id") REFERENCES "recon"."device"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "recon"."match" ADD CONSTRAINT "match_message_id_fkey" FOREIGN KEY ("message_id") REFERENCES "recon"."message"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- The publisher reads only unpublished rows.
CREATE INDEX "outbox_unpublished_idx" ON "recon"."outbox"("id") WHERE "published_at" IS NULL;
