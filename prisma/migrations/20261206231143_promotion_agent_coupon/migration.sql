-- AlterEnum
ALTER TYPE "promotion"."CouponCampaignStatus" ADD VALUE 'RECYCLED';

-- AlterTable
ALTER TABLE "promotion"."coupon_campaign" ADD COLUMN     "agent_grant_id" UUID,
ADD COLUMN     "agent_id" UUID;

-- AlterTable
ALTER TABLE "promotion"."coupon_code" ADD COLUMN     "player_id" UUID;

-- CreateIndex
CREATE UNIQUE INDEX "coupon_campaign_agent_grant_id_key" ON "promotion"."coupon_campaign"("agent_grant_id");
