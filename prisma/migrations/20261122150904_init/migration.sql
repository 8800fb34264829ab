-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "admin";

-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "player";

-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "wallet";

-- CreateEnum
CREATE TYPE "admin"."BrandStatus" AS ENUM ('ACTIVE', 'SUSPENDED');

-- CreateEnum
CREATE TYPE "admin"."StaffStatus" AS ENUM ('ACTIVE', 'DISABLED');

-- CreateEnum
CREATE TYPE "player"."PlayerStatus" AS ENUM ('ACTIVE', 'BLOCKED');

-- CreateTable
CREATE TABLE "admin"."brand" (
    "id" UUID NOT NULL,
    "code" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "currency" CHAR(3) NOT NULL,
    "status" "admin"."BrandStatus" NOT NULL DEFAULT 'ACTIVE',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "brand_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "admin"."brand_domain" (
    "id" UUID NOT NULL,
    "brand_id" UUID NOT NULL,
    "host" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "brand_domain_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "admin"."staff" (
    "id" UUID NOT NULL,
    "username" TEXT NOT NULL,
    "password_hash" TEXT NOT NULL,
    "status" "admin"."StaffStatus" NOT NULL DEFAULT 'ACTIVE',
    "all_brands" BOOLEAN NOT NULL DEFAULT false,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "staff_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "admin"."staff_brand" (
    "staff_id" UUID NOT NULL,
    "brand_id" UUID NOT NULL,

    CONSTRAINT "staff_brand_pkey" PRIMARY KEY ("staff_id","brand_id")
);

-- CreateTable
CREATE TABLE "admin"."staff_session" (
    "id" UUID NOT NULL,
    "subject_id" UUID NOT NULL,
    "brand_id" UUID NOT NULL,
    "refresh_token_hash" TEXT NOT NULL,
    "previous_token_hash" TEXT,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "revoked_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "rotated_at" TIMESTAMPTZ(3),

    CONSTRAINT "staff_session_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "player"."player" (
    "id" UUID NOT NULL,
    "brand_id" UUID NOT NULL,
    "username" TEXT NOT NULL,
    "nickname" TEXT,
    "password_hash" TEXT NOT NULL,
    "status" "player"."PlayerStatus" NOT NULL DEFAULT 'ACTIVE',
    "agent_id" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "player_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "player"."player_session" (
    "id" UUID NOT NULL,
    "subject_id" UUID NOT NULL,
    "brand_id" UUID NOT NULL,
    "refresh_token_hash" TEXT NOT NULL,
    "previous_token_hash" TEXT,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "revoked_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "rotated_at" TIMESTAMPTZ(3),

    CONSTRAINT "player_session_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "wallet"."wallet_account" (
    "id" UUID NOT NULL,
    "brand_id" UUID NOT NULL,
    "player_id" UUID NOT NULL,
    "currency" CHAR(3) NOT NULL,
    "balance" BIGINT NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "wallet_account_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "brand_code_key" ON "admin"."brand"("code");

-- CreateIndex
CREATE UNIQUE INDEX "brand_domain_host_key" ON "admin"."brand_domain"("host");

-- CreateIndex
CREATE INDEX "brand_domain_brand_id_idx" ON "admin"."brand_domain"("brand_id");

-- CreateIndex
CREATE UNIQUE INDEX "staff_username_key" ON "admin"."staff"("username");

-- CreateIndex
CREATE UNIQUE INDEX "staff_session_refresh_token_hash_key" ON "admin"."staff_session"("refresh_token_hash");

-- CreateIndex
CREATE UNIQUE INDEX "staff_session_previous_token_hash_key" ON "admin"."staff_session"("previous_token_hash");

-- CreateIndex
CREATE INDEX "staff_session_subject_id_idx" ON "admin"."staff_session"("subject_id");

-- CreateIndex
CREATE INDEX "player_brand_id_created_at_idx" ON "player"."player"("brand_id", "created_at");

-- CreateIndex
CREATE UNIQUE INDEX "player_brand_id_username_key" ON "player"."player"("brand_id", "username");

-- CreateIndex
CREATE UNIQUE INDEX "player_session_refresh_token_hash_key" ON "player"."player_session"("refresh_token_hash");

-- CreateIndex
CREATE UNIQUE INDEX "player_session_previous_token_hash_key" ON "player"."player_session"("previous_token_hash");

-- CreateIndex
CREATE INDEX "player_session_subject_id_idx" ON "player"."player_session"("subject_id");

-- CreateIndex
CREATE UNIQUE INDEX "wallet_account_player_id_key" ON "wallet"."wallet_account"("player_id");

-- CreateIndex
CREATE INDEX "wallet_account_brand_id_idx" ON "wallet"."wallet_account"("brand_id");

-- AddForeignKey
ALTER TABLE "admin"."brand_domain" ADD CONSTRAINT "brand_domain_brand_id_fkey" FOREIGN KEY ("brand_id") REFERENCES "admin"."brand"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "admin"."staff_brand" ADD CONSTRAINT "staff_brand_staff_id_fkey" FOREIGN KEY ("staff_id") REFERENCES "admin"."staff"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "admin"."staff_brand" ADD CONSTRAINT "staff_brand_brand_id_fkey" FOREIGN KEY ("brand_id") REFERENCES "admin"."brand"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "admin"."staff_session" ADD CONSTRAINT "staff_session_subject_id_fkey" FOREIGN KEY ("subject_id") REFERENCES "admin"."staff"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "player"."player_session" ADD CONSTRAINT "player_session_subject_id_fkey" FOREIGN KEY ("subject_id") REFERENCES "player"."player"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
