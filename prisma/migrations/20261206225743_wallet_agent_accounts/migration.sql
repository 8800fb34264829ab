-- AlterEnum
-- This migration adds more than one value to an enum.
-- With PostgreSQL versions 11 and earlier, this is not possible
-- in a single migration. This can be worked around by creating
-- multiple migrations, each migration adding only one value to
-- the enum.


ALTER TYPE "wallet"."LedgerKind" ADD VALUE 'COUPON_GRANT';
ALTER TYPE "wallet"."LedgerKind" ADD VALUE 'COUPON_RECYCLE';

-- AlterTable
ALTER TABLE "wallet"."ledger_entry" ADD COLUMN     "agent_id" UUID,
ALTER COLUMN "player_id" DROP NOT NULL;

-- AlterTable
ALTER TABLE "wallet"."wallet_account" ADD COLUMN     "agent_id" UUID,
ALTER COLUMN "player_id" DROP NOT NULL;

-- CreateIndex
CREATE UNIQUE INDEX "wallet_account_agent_id_brand_id_key" ON "wallet"."wallet_account"("agent_id", "brand_id");
