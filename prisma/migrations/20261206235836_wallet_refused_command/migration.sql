-- CreateTable
CREATE TABLE "wallet"."refused_command" (
    "command_key" TEXT NOT NULL,
    "brand_id" UUID NOT NULL,
    "player_id" UUID,
    "agent_id" UUID,
    "kind" "wallet"."LedgerKind" NOT NULL,
    "amount" BIGINT NOT NULL,
    "code" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "refused_command_pkey" PRIMARY KEY ("command_key","amount")
);
