-- CreateTable
CREATE TABLE "player"."message" (
    "id" UUID NOT NULL,
    "brand_id" UUID NOT NULL,
    "player_id" UUID NOT NULL,
    "title" TEXT NOT NULL,
    "body" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "read_at" TIMESTAMPTZ(3),
    "sent_by" UUID NOT NULL,

    CONSTRAINT "message_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "message_player_id_created_at_id_idx" ON "player"."message"("player_id", "created_at" DESC, "id" DESC);

-- AddForeignKey
ALTER TABLE "player"."message" ADD CONSTRAINT "message_player_id_fkey" FOREIGN KEY ("player_id") REFERENCES "player"."player"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
