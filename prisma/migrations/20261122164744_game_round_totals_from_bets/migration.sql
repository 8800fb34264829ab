-- AlterTable
ALTER TABLE "game"."game_round" DROP COLUMN "total_bet",
DROP COLUMN "total_win";
