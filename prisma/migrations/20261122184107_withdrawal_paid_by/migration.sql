-- AlterTable
ALTER TABLE "wallet"."withdrawal_request" ADD COLUMN     "paid_by" TEXT;
