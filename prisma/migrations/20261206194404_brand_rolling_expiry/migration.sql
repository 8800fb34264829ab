-- AlterTable
ALTER TABLE "admin"."brand_config" ADD COLUMN     "rolling_expiry_days" INTEGER NOT NULL DEFAULT 0;
