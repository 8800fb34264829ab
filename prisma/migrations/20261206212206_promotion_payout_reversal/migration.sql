-- CreateEnum
CREATE TYPE "promotion"."PayoutReversalStatus" AS ENUM ('PENDING', 'DONE', 'REFUSED');

-- CreateTable
CREATE TABLE "promotion"."payout_reversal" (
    "id" UUID NOT NULL,
    "brand_id" UUID NOT NULL,
    "payout_kind" TEXT NOT NULL,
    "payout_id" UUID NOT NULL,
    "player_id" UUID NOT NULL,
    "currency" TEXT NOT NULL,
    "amount" BIGINT NOT NULL,
    "wallet_key" TEXT NOT NULL,
    "staff_id" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "status" "promotion"."PayoutReversalStatus" NOT NULL DEFAULT 'PENDING',
    "refusal_code" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "completed_at" TIMESTAMPTZ(3),

    CONSTRAINT "payout_reversal_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "payout_reversal_payout_kind_payout_id_idx" ON "promotion"."payout_reversal"("payout_kind", "payout_id");

-- CreateIndex
CREATE INDEX "payout_reversal_status_created_at_idx" ON "promotion"."payout_reversal"("status", "created_at");

-- A payout has one standing reversal (PENDING or DONE): the wallet reverses a credit once.
CREATE UNIQUE INDEX "payout_reversal_standing_key" ON "promotion"."payout_reversal"("payout_kind", "payout_id") WHERE "status" IN ('PENDING', 'DONE');
