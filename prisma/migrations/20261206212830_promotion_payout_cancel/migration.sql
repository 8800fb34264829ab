-- AlterEnum
ALTER TYPE "promotion"."CouponRedemptionStatus" ADD VALUE 'CANCELED';

-- AlterEnum
ALTER TYPE "promotion"."SettlementItemStatus" ADD VALUE 'CANCELED';

-- AlterTable
ALTER TABLE "promotion"."coupon_redemption" ADD COLUMN     "cancel_reason" TEXT;

-- AlterTable
ALTER TABLE "promotion"."settlement_item" ADD COLUMN     "cancel_reason" TEXT;
