-- CreateTable
CREATE TABLE "admin"."brand_config" (
    "brand_id" UUID NOT NULL,
    "deposit_rolling_multiplier_bps" INTEGER NOT NULL DEFAULT 0,
    "slots_contribution_bps" INTEGER NOT NULL DEFAULT 10000,
    "live_casino_contribution_bps" INTEGER NOT NULL DEFAULT 10000,
    "table_contribution_bps" INTEGER NOT NULL DEFAULT 10000,
    "other_contribution_bps" INTEGER NOT NULL DEFAULT 10000,
    "min_deposit_minor" BIGINT NOT NULL,
    "max_deposit_minor" BIGINT NOT NULL,
    "min_withdrawal_minor" BIGINT NOT NULL,
    "max_withdrawal_minor" BIGINT NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "brand_config_pkey" PRIMARY KEY ("brand_id")
);

-- CreateTable
CREATE TABLE "admin"."brand_deposit_account" (
    "id" UUID NOT NULL,
    "brand_id" UUID NOT NULL,
    "bank_name" TEXT NOT NULL,
    "account_number" TEXT NOT NULL,
    "holder" TEXT NOT NULL,
    "active" BOOLEAN NOT NULL DEFAULT true,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "brand_deposit_account_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "brand_deposit_account_brand_id_idx" ON "admin"."brand_deposit_account"("brand_id");

-- AddForeignKey
ALTER TABLE "admin"."brand_config" ADD CONSTRAINT "brand_config_brand_id_fkey" FOREIGN KEY ("brand_id") REFERENCES "admin"."brand"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "admin"."brand_deposit_account" ADD CONSTRAINT "brand_deposit_account_brand_id_fkey" FOREIGN KEY ("brand_id") REFERENCES "admin"."brand"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Brands that exist before this migration start with the config a new brand gets: no rolling
-- requirement, every category counting in full, limits from one minor unit to 10^15.
INSERT INTO "admin"."brand_config" ("brand_id", "min_deposit_minor", "max_deposit_minor", "min_withdrawal_minor", "max_withdrawal_minor", "updated_at")
SELECT "id", 1, 1000000000000000, 1, 1000000000000000, CURRENT_TIMESTAMP FROM "admin"."brand";
