-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "platform";

-- CreateTable
CREATE TABLE "platform"."scheduled_job" (
    "name" TEXT NOT NULL,
    "interval_ms" BIGINT NOT NULL,
    "claimed_window_start" TIMESTAMPTZ(3),
    "attempt" INTEGER NOT NULL DEFAULT 0,
    "lease_token" UUID,
    "lease_owner" TEXT,
    "lease_expires_at" TIMESTAMPTZ(3),
    "run_started_at" TIMESTAMPTZ(3),
    "retry_at" TIMESTAMPTZ(3),
    "last_success_window_start" TIMESTAMPTZ(3),
    "last_success_at" TIMESTAMPTZ(3),
    "last_success_by" TEXT,
    "last_error" TEXT,
    "last_error_at" TIMESTAMPTZ(3),
    "last_error_by" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "scheduled_job_pkey" PRIMARY KEY ("name")
);
