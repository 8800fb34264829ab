-- AlterEnum
ALTER TYPE "promotion"."CouponRedemptionStatus" ADD VALUE 'FAILED';
