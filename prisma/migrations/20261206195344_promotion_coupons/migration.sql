-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "promotion";

-- CreateEnum
CREATE TYPE "promotion"."CouponCampaignStatus" AS ENUM ('ACTIVE', 'DISABLED', 'EXPIRED');

-- CreateEnum
CREATE TYPE "promotion"."CouponRedemptionStatus" AS ENUM ('PENDING', 'PAID');

-- CreateTable
CREATE TABLE "promotion"."coupon_campaign" (
    "id" UUID NOT NULL,
    "brand_id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "currency" TEXT NOT NULL,
    "amount" BIGINT NOT NULL,
    "rolling_multiplier_bps" INTEGER NOT NULL,
    "valid_from" TIMESTAMPTZ(3) NOT NULL,
    "valid_until" TIMESTAMPTZ(3),
    "total_limit" INTEGER,
    "per_player_limit" INTEGER NOT NULL,
    "budget" BIGINT,
    "redeemed" INTEGER NOT NULL DEFAULT 0,
    "spent" BIGINT NOT NULL DEFAULT 0,
    "status" "promotion"."CouponCampaignStatus" NOT NULL DEFAULT 'ACTIVE',
    "created_by" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "ended_at" TIMESTAMPTZ(3),

    CONSTRAINT "coupon_campaign_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "promotion"."coupon_code" (
    "id" UUID NOT NULL,
    "brand_id" UUID NOT NULL,
    "campaign_id" UUID NOT NULL,
    "code" TEXT NOT NULL,
    "single_use" BOOLEAN NOT NULL,
    "redeemed" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "coupon_code_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "promotion"."coupon_redemption" (
    "id" UUID NOT NULL,
    "brand_id" UUID NOT NULL,
    "campaign_id" UUID NOT NULL,
    "code_id" UUID NOT NULL,
    "player_id" UUID NOT NULL,
    "code" TEXT NOT NULL,
    "currency" TEXT NOT NULL,
    "amount" BIGINT NOT NULL,
    "rolling_multiplier_bps" INTEGER NOT NULL,
    "status" "promotion"."CouponRedemptionStatus" NOT NULL DEFAULT 'PENDING',
    "rolling_id" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "paid_at" TIMESTAMPTZ(3),
    "pay_attempts" INTEGER NOT NULL DEFAULT 0,
    "next_pay_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_pay_error" TEXT,

    CONSTRAINT "coupon_redemption_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "promotion"."staff_action" (
    "id" UUID NOT NULL,
    "brand_id" UUID NOT NULL,
    "staff_id" UUID NOT NULL,
    "request_id" TEXT,
    "action" TEXT NOT NULL,
    "target_type" TEXT NOT NULL,
    "target_id" TEXT NOT NULL,
    "before" JSONB,
    "after" JSONB,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "staff_action_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "coupon_campaign_brand_id_created_at_idx" ON "promotion"."coupon_campaign"("brand_id", "created_at");

-- CreateIndex
CREATE INDEX "coupon_code_campaign_id_created_at_idx" ON "promotion"."coupon_code"("campaign_id", "created_at");

-- CreateIndex
CREATE UNIQUE INDEX "coupon_code_brand_id_code_key" ON "promotion"."coupon_code"("brand_id", "code");

-- CreateIndex
CREATE INDEX "coupon_redemption_brand_id_player_id_created_at_idx" ON "promotion"."coupon_redemption"("brand_id", "player_id", "created_at");

-- CreateIndex
CREATE INDEX "coupon_redemption_campaign_id_player_id_idx" ON "promotion"."coupon_redemption"("campaign_id", "player_id");

-- CreateIndex
CREATE INDEX "coupon_redemption_campaign_id_created_at_idx" ON "promotion"."coupon_redemption"("campaign_id", "created_at");

-- CreateIndex
CREATE INDEX "staff_action_brand_id_created_at_idx" ON "promotion"."staff_action"("brand_id", "created_at");

-- AddForeignKey
ALTER TABLE "promotion"."coupon_code" ADD CONSTRAINT "coupon_code_campaign_id_fkey" FOREIGN KEY ("campaign_id") REFERENCES "promotion"."coupon_campaign"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "promotion"."coupon_redemption" ADD CONSTRAINT "coupon_redemption_campaign_id_fkey" FOREIGN KEY ("campaign_id") REFERENCES "promotion"."coupon_campaign"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "promotion"."coupon_redemption" ADD CONSTRAINT "coupon_redemption_code_id_fkey" FOREIGN KEY ("code_id") REFERENCES "promotion"."coupon_code"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- The expiry job reads active campaigns by their end, the pay loop pending redemptions by their next attempt, and a redeem a player's pending redemption of a code.
CREATE INDEX "coupon_campaign_active_expiry_idx" ON "promotion"."coupon_campaign"("valid_until") WHERE "status" = 'ACTIVE' AND "valid_until" IS NOT NULL;
CREATE INDEX "coupon_redemption_pending_idx" ON "promotion"."coupon_redemption"("next_pay_at") WHERE "status" = 'PENDING';
CREATE INDEX "coupon_redemption_pending_code_player_idx" ON "promotion"."coupon_redemption"("code_id", "player_id") WHERE "status" = 'PENDING';
