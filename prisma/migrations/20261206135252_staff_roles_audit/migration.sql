-- CreateTable
CREATE TABLE "admin"."role" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "role_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "admin"."role_permission" (
    "role_id" UUID NOT NULL,
    "permission" TEXT NOT NULL,

    CONSTRAINT "role_permission_pkey" PRIMARY KEY ("role_id","permission")
);

-- CreateTable
CREATE TABLE "admin"."staff_role" (
    "staff_id" UUID NOT NULL,
    "role_id" UUID NOT NULL,

    CONSTRAINT "staff_role_pkey" PRIMARY KEY ("staff_id","role_id")
);

-- CreateTable
CREATE TABLE "admin"."audit_log" (
    "id" UUID NOT NULL,
    "staff_id" UUID NOT NULL,
    "brand_id" UUID,
    "action" TEXT NOT NULL,
    "target_type" TEXT NOT NULL,
    "target_id" TEXT NOT NULL,
    "before" JSONB,
    "after" JSONB,
    "request_id" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "audit_log_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "role_name_key" ON "admin"."role"("name");

-- CreateIndex
CREATE INDEX "staff_role_role_id_idx" ON "admin"."staff_role"("role_id");

-- CreateIndex
CREATE INDEX "audit_log_staff_id_created_at_id_idx" ON "admin"."audit_log"("staff_id", "created_at" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "audit_log_action_created_at_id_idx" ON "admin"."audit_log"("action", "created_at" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "audit_log_target_type_target_id_created_at_id_idx" ON "admin"."audit_log"("target_type", "target_id", "created_at" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "audit_log_created_at_id_idx" ON "admin"."audit_log"("created_at" DESC, "id" DESC);

-- AddForeignKey
ALTER TABLE "admin"."role_permission" ADD CONSTRAINT "role_permission_role_id_fkey" FOREIGN KEY ("role_id") REFERENCES "admin"."role"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "admin"."staff_role" ADD CONSTRAINT "staff_role_staff_id_fkey" FOREIGN KEY ("staff_id") REFERENCES "admin"."staff"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "admin"."staff_role" ADD CONSTRAINT "staff_role_role_id_fkey" FOREIGN KEY ("role_id") REFERENCES "admin"."role"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Until this migration every active staff member could use every staff operation on the brands
-- in their scope: they keep that through the superadmin role (the seed adds later permissions).
INSERT INTO "admin"."role" ("id", "name", "description", "updated_at")
VALUES (gen_random_uuid(), 'superadmin', 'Every permission', CURRENT_TIMESTAMP);
INSERT INTO "admin"."role_permission" ("role_id", "permission")
SELECT "role"."id", "permission"
FROM "admin"."role", unnest(ARRAY[
  'players.read', 'wallets.read', 'wallets.adjust', 'deposits.read', 'deposits.decide',
  'withdrawals.read', 'withdrawals.decide', 'games.read', 'games.manage', 'game_rounds.read',
  'providers.read', 'providers.manage', 'brands.read', 'staff.read', 'staff.manage',
  'roles.read', 'roles.manage', 'audit.read'
]) AS "permission"
WHERE "role"."name" = 'superadmin';
INSERT INTO "admin"."staff_role" ("staff_id", "role_id")
SELECT "staff"."id", "role"."id" FROM "admin"."staff", "admin"."role" WHERE "role"."name" = 'superadmin';
