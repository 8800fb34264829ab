-- DropIndex
DROP INDEX "admin"."staff_session_previous_token_hash_key";

-- DropIndex
DROP INDEX "admin"."staff_session_refresh_token_hash_key";

-- DropIndex
DROP INDEX "player"."player_session_previous_token_hash_key";

-- DropIndex
DROP INDEX "player"."player_session_refresh_token_hash_key";

-- AlterTable
ALTER TABLE "admin"."staff_session" DROP COLUMN "previous_token_hash",
DROP COLUMN "refresh_token_hash",
ADD COLUMN     "generation" INTEGER NOT NULL DEFAULT 0;

-- AlterTable
ALTER TABLE "player"."player_session" DROP COLUMN "previous_token_hash",
DROP COLUMN "refresh_token_hash",
ADD COLUMN     "generation" INTEGER NOT NULL DEFAULT 0;
