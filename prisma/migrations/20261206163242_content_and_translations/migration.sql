-- CreateEnum
CREATE TYPE "player"."ContentKind" AS ENUM ('NOTICE', 'FAQ', 'WEB_RULE');

-- CreateEnum
CREATE TYPE "player"."ContentStatus" AS ENUM ('DRAFT', 'PUBLISHED');

-- CreateTable
CREATE TABLE "player"."content_entry" (
    "id" UUID NOT NULL,
    "brand_id" UUID NOT NULL,
    "kind" "player"."ContentKind" NOT NULL,
    "locale" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "body" TEXT NOT NULL,
    "category" TEXT,
    "position" INTEGER NOT NULL DEFAULT 0,
    "status" "player"."ContentStatus" NOT NULL DEFAULT 'DRAFT',
    "pinned" BOOLEAN NOT NULL DEFAULT false,
    "publish_from" TIMESTAMPTZ(3),
    "publish_until" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "content_entry_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "player"."translation" (
    "id" UUID NOT NULL,
    "brand_id" UUID,
    "namespace" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "locale" TEXT NOT NULL,
    "value" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "translation_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "content_entry_brand_id_kind_locale_status_idx" ON "player"."content_entry"("brand_id", "kind", "locale", "status");

-- CreateIndex
CREATE INDEX "content_entry_brand_id_created_at_id_idx" ON "player"."content_entry"("brand_id", "created_at" DESC, "id" DESC);

-- CreateIndex, by hand: NULLS NOT DISTINCT makes the platform default (brand_id NULL) of a string
-- unique too, which a Prisma schema cannot declare (the schema engine does not see the difference).
-- Its column order serves the public read (one namespace, a few locales, the brand and the platform).
CREATE UNIQUE INDEX "translation_namespace_locale_brand_id_key_key" ON "player"."translation"("namespace", "locale", "brand_id", "key") NULLS NOT DISTINCT;
