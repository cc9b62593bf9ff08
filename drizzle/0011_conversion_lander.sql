ALTER TABLE "conversions" ADD COLUMN "lander_id" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "conversions" ADD COLUMN "os_version" text DEFAULT '' NOT NULL;