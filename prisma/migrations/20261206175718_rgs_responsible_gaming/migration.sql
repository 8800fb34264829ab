-- CreateEnum
CREATE TYPE "rgs"."RgsLimitKind" AS ENUM ('DAILY_LOSS', 'WEEKLY_LOSS', 'MONTHLY_LOSS', 'DAILY_WAGER', 'WEEKLY_WAGER', 'MONTHLY_WAGER', 'SESSION_TIME', 'REALITY_CHECK');

-- AlterTable
ALTER TABLE "rgs"."session" ADD COLUMN     "reality_checked_at" TIMESTAMPTZ(3);

-- CreateTable
CREATE TABLE "rgs"."player_limit" (
    "player_id" UUID NOT NULL,
    "kind" "rgs"."RgsLimitKind" NOT NULL,
    "operator_id" UUID NOT NULL,
    "value" BIGINT,
    "pending_value" BIGINT,
    "pending_from" TIMESTAMPTZ(3),
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "player_limit_pkey" PRIMARY KEY ("player_id","kind")
);

-- CreateTable
CREATE TABLE "rgs"."self_exclusion" (
    "id" BIGSERIAL NOT NULL,
    "operator_id" UUID NOT NULL,
    "player_id" UUID NOT NULL,
    "started_at" TIMESTAMPTZ(3) NOT NULL,
    "ends_at" TIMESTAMPTZ(3),

    CONSTRAINT "self_exclusion_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "self_exclusion_player_id_idx" ON "rgs"."self_exclusion"("player_id");

-- AddForeignKey
ALTER TABLE "rgs"."player_limit" ADD CONSTRAINT "player_limit_player_id_fkey" FOREIGN KEY ("player_id") REFERENCES "rgs"."player"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "rgs"."self_exclusion" ADD CONSTRAINT "self_exclusion_player_id_fkey" FOREIGN KEY ("player_id") REFERENCES "rgs"."player"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
