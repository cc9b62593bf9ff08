CREATE TABLE "conversion_sync_batches" (
	"id" uuid PRIMARY KEY NOT NULL,
	"first_event_id" bigint NOT NULL,
	"last_event_id" bigint NOT NULL,
	"events" integer NOT NULL,
	"claimed_at" timestamp (3) with time zone NOT NULL,
	"synced_at" timestamp (3) with time zone
);
--> statement-breakpoint
DROP INDEX "conversion_events_unbatched";--> statement-breakpoint
DROP INDEX "conversion_events_unsynced";--> statement-breakpoint
CREATE UNIQUE INDEX "conversion_sync_batches_last" ON "conversion_sync_batches" USING btree ("last_event_id");--> statement-breakpoint
CREATE INDEX "conversion_sync_batches_unsynced" ON "conversion_sync_batches" USING btree ("claimed_at") WHERE "conversion_sync_batches"."synced_at" IS NULL;--> statement-breakpoint
CREATE INDEX "conversion_events_legacy_unsynced" ON "conversion_events" USING btree ("batch_id") WHERE "conversion_events"."batch_id" IS NOT NULL AND "conversion_events"."synced_at" IS NULL;--> statement-breakpoint
-- Events of the earlier protocol never claimed get one batch of that protocol (its re-send
-- path sends it, batched_at in the past so at once); then one marker row (events = 0, never
-- sent) covers every existing event ID, so the new range batches start after them.
UPDATE "conversion_events" SET "batch_id" = (SELECT gen_random_uuid()), "batched_at" = '1970-01-01T00:00:00Z' WHERE "batch_id" IS NULL;--> statement-breakpoint
INSERT INTO "conversion_sync_batches" ("id", "first_event_id", "last_event_id", "events", "claimed_at", "synced_at")
SELECT gen_random_uuid(), 0, coalesce(max("id"), 0), 0, now(), now() FROM "conversion_events";
